package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const (
	// Paths from the repository root, as the failure messages name them.
	samplePath = "configs/reporter.yaml"
	configDoc  = "docs/configuration.md"
)

// TestConfigDocCoversSample keeps docs/configuration.md true to the sample configuration: every
// key of configs/reporter.yaml, nested ones and the keys of its commented-out examples included,
// has a row in the doc's table, with its environment variable where one can set it; the sample
// with its examples swapped in loads; and the sample names every key the package knows.
//
// A commented-out example is a comment block whose first line is "# KEY:" at the indentation of a
// live KEY just above it (controls.disabled's "# disabled:" under "disabled: []"): an alternative
// value for that key. Prose comments are not read, so a sentence that happens to start with
// "word:" is never taken for a key.
func TestConfigDocCoversSample(t *testing.T) {
	raw, err := os.ReadFile("../../" + samplePath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../" + configDoc)
	if err != nil {
		t.Fatal(err)
	}
	rows := docRows(string(doc))

	variants := [][]byte{raw}
	withExamples, n := swapInExamples(string(raw))
	if n == 0 {
		t.Errorf("%s: no commented-out example found; if the examples were removed, drop this part of the test", samplePath)
	} else {
		variants = append(variants, []byte(withExamples))
	}

	seen := map[string]bool{}
	for i, v := range variants {
		name := samplePath
		if i == 1 {
			name += " with its commented-out examples"
		}
		if _, err := Load(strings.NewReader(string(v)), nil); err != nil {
			t.Errorf("%s does not load: %v", name, err)
		}
		var root yaml.Node
		if err := yaml.Unmarshal(v, &root); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, k := range yamlKeys(root.Content[0], "") {
			seen[k] = true
		}
	}
	for _, k := range []string{"controls.disabled[].control_id", "store.s3_state.bucket", "deliver.email.smtp.password_env"} {
		if !seen[k] {
			t.Errorf("the walk of %s missed %s: the test no longer reads nested or example keys", samplePath, k)
		}
	}

	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		row, ok := rows[k]
		if !ok {
			t.Errorf("key %s (in %s) has no row in %s", k, samplePath, configDoc)
			continue
		}
		if strings.Contains(k, "[]") || k == "controls.disabled" || k == "accounts" || k == "deliver.email.routes" {
			continue // a list of entries: file only
		}
		if env := "REPORTER_" + strings.ToUpper(strings.ReplaceAll(k, ".", "_")); !strings.Contains(row, "`"+env+"`") {
			t.Errorf("key %s: its row in %s does not name its environment variable %s", k, configDoc, env)
		}
	}
	for _, k := range Keys() {
		if !seen[k] {
			t.Errorf("key %s is known to the config package but missing from %s (the sample is the complete example)", k, samplePath)
		}
	}
	for k := range rows {
		if !seen[k] {
			t.Errorf("%s documents key %s, which %s does not have", configDoc, k, samplePath)
		}
	}
}

// docRows maps each key in the first column of the doc's tables ("| `key` | ...") to its row.
func docRows(doc string) map[string]string {
	rows := map[string]string{}
	re := regexp.MustCompile("^\\| `([a-z0-9_.\\[\\]]+)` \\|")
	for line := range strings.SplitSeq(doc, "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			rows[m[1]] = line
		}
	}
	return rows
}

// swapInExamples returns the sample with each commented-out example (see the test's comment)
// uncommented in place of the live value above it, and how many it swapped.
func swapInExamples(s string) (string, int) {
	lines := strings.Split(s, "\n")
	var out []string
	n := 0
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimLeft(line, " ")
		indent := line[:len(line)-len(trimmed)]
		key, _, ok := strings.Cut(strings.TrimPrefix(trimmed, "# "), ":")
		prev := ""
		if len(out) > 0 {
			prev = out[len(out)-1]
		}
		if !ok || !strings.HasPrefix(trimmed, "# ") || !strings.HasPrefix(prev, indent+key+":") || strings.ContainsAny(key, " #") {
			out = append(out, line)
			continue
		}
		// Replace the live line with the example and every following comment line indented
		// deeper than it, uncommented.
		out[len(out)-1] = indent + strings.TrimPrefix(trimmed, "# ")
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], indent+"#   ") {
			i++
			out = append(out, indent+strings.TrimPrefix(lines[i], indent+"# "))
		}
		n++
	}
	return strings.Join(out, "\n"), n
}

// yamlKeys lists the key paths of a YAML mapping, nested mappings and the mappings inside lists
// (as KEY[].SUB) included.
func yamlKeys(n *yaml.Node, prefix string) []string {
	var keys []string
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if prefix != "" {
				k = prefix + "." + k
			}
			val := n.Content[i+1]
			if val.Kind == yaml.MappingNode {
				keys = append(keys, yamlKeys(val, k)...)
				continue
			}
			keys = append(keys, k)
			if val.Kind == yaml.SequenceNode {
				for _, item := range val.Content {
					if item.Kind == yaml.MappingNode {
						keys = append(keys, yamlKeys(item, k+"[]")...)
					}
				}
			}
		}
	}
	return keys
}
