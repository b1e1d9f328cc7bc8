package main

import (
	"context"

	runner "github.com/hubreport/hubreport/internal/run"
)

// runSchedule parses `schedule`'s flags and runs collect and report on their cron schedules
// (internal/run.Schedule) until SIGTERM or SIGINT.
func runSchedule(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "schedule", "schedule [--config FILE]")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("schedule takes no arguments, got %q", fs.Args())
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	return runner.Schedule(ctx, e.runOptions(cfg))
}
