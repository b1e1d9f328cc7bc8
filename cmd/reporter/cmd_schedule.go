package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hubreport/hubreport/internal/config"
	runner "github.com/hubreport/hubreport/internal/run"
)

// cronParser reads the schedule specs: five fields, or six with leading seconds, CRON_TZ= and
// descriptors (@daily).
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

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
	jobs := []struct {
		name, key, spec string
		steps           runner.Steps
	}{
		{"collect", "schedule.collect", cfg.Schedule.Collect, runner.Steps{Collect: true}},
		{"report", "schedule.report", cfg.Schedule.Report, runner.Steps{Report: true, Deliver: true}},
	}
	// A schedule never runs with --init-state: a daemon must not start a new history on its own.
	runJob := e.runJob
	if runJob == nil {
		runJob = runner.Run
	}
	// Collect and report share the database: they never overlap each other either, and a run
	// that comes due while another is going is skipped, not queued.
	var busy sync.Mutex
	c := cron.New(cron.WithParser(cronParser), cron.WithLocation(time.UTC))
	scheduled := 0
	for _, j := range jobs {
		if j.spec == "" {
			continue
		}
		id, err := c.AddFunc(j.spec, func() {
			if !busy.TryLock() {
				e.log.Warn("run skipped: the previous run is still going", "job", j.name)
				return
			}
			defer busy.Unlock()
			start := time.Now()
			defer func() {
				// A bug in one run must not stop the schedule.
				if p := recover(); p != nil {
					e.log.Error("run finished", "job", j.name, "outcome", "panic", "duration_ms", time.Since(start).Milliseconds(),
						"error", fmt.Sprint(p), "stack", string(debug.Stack()))
				}
			}()
			opts := e.runOptions(cfg)
			opts.Steps = j.steps
			res, err := runJob(ctx, opts)
			runner.LogFinished(e.log, j.name, res, err)
		})
		if err != nil {
			return &config.ValidationError{Key: j.key, Msg: fmt.Sprintf("%q: %v", j.spec, err)}
		}
		scheduled++
		e.log.Info("scheduled", "job", j.name, "spec", j.spec, "next", c.Entry(id).Schedule.Next(time.Now()).UTC().Format(time.RFC3339))
	}
	if scheduled == 0 {
		return &config.ValidationError{Key: "schedule", Msg: "neither schedule.collect nor schedule.report is set"}
	}
	c.Start()
	<-ctx.Done()
	// SIGTERM or SIGINT: no new runs; the one in progress sees the cancelled context, stores
	// nothing partial, and is waited for.
	e.log.Info("stopping: waiting for the run in progress")
	<-c.Stop().Done()
	e.log.Info("scheduler stopped")
	return nil
}
