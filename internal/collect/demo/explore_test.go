package demo

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/store"
)

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	seed, _ := strconv.Atoi(os.Getenv("SEED"))
	o := newOrg(t, Config{Seed: int64(seed)})
	days := []int{0, 45, 89}
	if os.Getenv("ALLDAYS") != "" {
		days = nil
		for d := 0; d < 90; d += 3 {
			days = append(days, d)
		}
		days = append(days, 89)
	}
	std := o.Standards()
	short := func(s string) string { return strings.Split(s, "/")[1][:6] }
	for _, d := range days {
		s := snapshot(t, o, d)
		st := controlStatuses(s.findings, func(*store.Finding) bool { return true })
		sc, sum := standardScores(st, std)
		line := fmt.Sprintf("day %2d: summary %.1f", d, sum)
		for _, x := range std {
			unk := 0
			for _, v := range st[x] {
				if v == ctlUnknown {
					unk++
				}
			}
			line += fmt.Sprintf(" %s %.1f(n%d,u%d)", short(x), sc[x], len(st[x]), unk)
		}
		all, _ := passRates(s, o)
		line += fmt.Sprintf(" findings %d passrate %.1f", len(s.findings), all.pct())
		t.Log(line)
		if d != 89 && d != 0 {
			continue
		}
		// union over standards
		union := map[string]int{}
		for _, m := range st {
			for c, v := range m {
				union[c] = max(union[c], v)
			}
		}
		failed := 0
		for _, v := range union {
			if v == ctlFailed {
				failed++
			}
		}
		t.Logf("  failed controls %d of %d (%.1f%%)", failed, len(union), 100*float64(failed)/float64(len(union)))
		var byClass [3][2]int
		var tail []string
		for _, cc := range o.controls {
			if v, ok := union[cc.ID]; ok {
				byClass[cc.class][0]++
				if v == ctlFailed {
					byClass[cc.class][1]++
				}
				if v == ctlFailed && cc.class != classHard {
					tail = append(tail, fmt.Sprintf("%s/%d", cc.ID, cc.class))
				}
			}
		}
		t.Logf("  by class (clean, campaign, hard) [data failed]: %v; non-hard failing: %v", byClass, tail)
		// per-account
		byEnv := map[string][]string{}
		failAcc := map[string]map[string]bool{}
		for _, a := range o.accounts {
			id := a.AccountID
			ast := controlStatuses(s.findings, func(f *store.Finding) bool { return f.AccountID == id })
			asc, asum := standardScores(ast, std)
			if a.env == envSandbox || a.env == envProd {
				line := a.Name
				for _, x := range std {
					f := 0
					for _, v := range ast[x] {
						if v == ctlFailed {
							f++
						}
					}
					line += fmt.Sprintf(" %s %.0f(%d/%d)", short(x), asc[x], f, len(ast[x]))
				}
				t.Log(line)
			}
			nd := map[string]bool{}
			for _, m := range ast {
				for c, v := range m {
					nd[c] = true
					if v == ctlFailed {
						if failAcc[c] == nil {
							failAcc[c] = map[string]bool{}
						}
						failAcc[c][id] = true
					}
				}
			}
			cls := [3][2]int{}
			for c := range nd {
				for _, cc := range o.controls {
					if cc.ID == c {
						cls[cc.class][0]++
						for _, m := range ast {
							if m[c] == ctlFailed {
								cls[cc.class][1]++
								break
							}
						}
					}
				}
			}
			byEnv[a.env] = append(byEnv[a.env], fmt.Sprintf("%.0f/%d%v", asum, len(nd), cls))
		}
		for _, e := range []string{envFoundation, envProd, envStaging, envDev, envSandbox} {
			t.Logf("  %-8s %v", e, byEnv[e])
		}
		type kv struct {
			c string
			n int
		}
		var top []kv
		for c, m := range failAcc {
			top = append(top, kv{c, len(m)})
		}
		sort.Slice(top, func(i, j int) bool { return top[i].n > top[j].n || top[i].n == top[j].n && top[i].c < top[j].c })
		var b strings.Builder
		for _, x := range top {
			fmt.Fprintf(&b, "%s:%d ", x.c, x.n)
		}
		t.Logf("  top: %s", b.String())
	}
}
