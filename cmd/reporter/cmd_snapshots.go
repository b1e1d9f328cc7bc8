package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/hubreport/hubreport/internal/store"
)

func runSnapshots(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "snapshots", "snapshots [--db PATH] [--format text|json]")
	var db string
	dbFlag(fs, &db, "")
	format := fs.String("format", "text", "text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usagef("--format must be text or json, got %q", *format)
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	if db == "" {
		db = cfg.Store.Path
	}
	st, err := store.Open(ctx, db, store.Options{ReadOnly: true, MemoryLimit: cfg.Store.MemoryLimit})
	if err != nil {
		return err
	}
	defer st.Close()
	snaps, err := st.Snapshots(ctx)
	if err != nil {
		return err
	}
	if *format == "json" {
		type row struct {
			ID       int64     `json:"id"`
			TakenAt  time.Time `json:"taken_at"`
			Source   string    `json:"source"`
			Findings int64     `json:"findings"`
			Accounts int       `json:"accounts"`
			Expected int       `json:"accounts_expected"`
			Status   string    `json:"status"`
			Empty    bool      `json:"empty"`
		}
		rows := make([]row, 0, len(snaps))
		for _, s := range snaps {
			rows = append(rows, row{s.ID, s.TakenAt.UTC(), s.Source, s.Findings, s.AccountsCollected, s.AccountsExpected, s.Status, s.Empty})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTAKEN AT\tSOURCE\tFINDINGS\tACCOUNTS\tSTATUS")
	for _, s := range snaps {
		status := s.Status
		if s.Empty {
			status += ", empty"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d/%d\t%s\n", s.ID, s.TakenAt.UTC().Format(time.RFC3339), s.Source,
			s.Findings, s.AccountsCollected, s.AccountsExpected, status)
	}
	return tw.Flush()
}
