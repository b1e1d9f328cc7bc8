package run

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hubreport/hubreport/internal/config"
)

// cronParser reads the schedule specs: five fields, or six with leading seconds, CRON_TZ= and
// descriptors (@daily).
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule runs collect (schedule.collect) and report,deliver (schedule.report) on their cron
// specs, in UTC, until ctx is done; then it waits for the run in progress, which sees the
// cancelled context and stores nothing partial, and returns nil. o.Steps and o.InitState are
// ignored: a daemon must never start a new history on its own.
func Schedule(ctx context.Context, o Options) error {
	cfg, log := o.Config, o.log()
	job := o.job
	if job == nil {
		job = Run
	}
	jobs := []struct {
		name, key, spec string
		steps           Steps
	}{
		{"collect", "schedule.collect", cfg.Schedule.Collect, Steps{Collect: true}},
		{"report", "schedule.report", cfg.Schedule.Report, Steps{Report: true, Deliver: true}},
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
				log.Warn("run skipped: the previous run is still going", "job", j.name)
				return
			}
			defer busy.Unlock()
			start := time.Now()
			defer func() {
				// A bug in one run must not stop the schedule.
				if p := recover(); p != nil {
					log.Error("run finished", "job", j.name, "outcome", "panic", "duration_ms", time.Since(start).Milliseconds(),
						"error", fmt.Sprint(p), "stack", string(debug.Stack()))
				}
			}()
			jo := o
			jo.Steps, jo.InitState = j.steps, false
			res, err := job(ctx, jo)
			LogFinished(log, j.name, res, err)
		})
		if err != nil {
			return &config.ValidationError{Key: j.key, Msg: fmt.Sprintf("%q: %v", j.spec, err)}
		}
		scheduled++
		log.Info("scheduled", "job", j.name, "spec", j.spec, "next", c.Entry(id).Schedule.Next(time.Now()).UTC().Format(time.RFC3339))
	}
	if scheduled == 0 {
		return &config.ValidationError{Key: "schedule", Msg: "neither schedule.collect nor schedule.report is set"}
	}
	c.Start()
	<-ctx.Done()
	// SIGTERM or SIGINT: no new runs; the one in progress sees the cancelled context, stores
	// nothing partial, and is waited for.
	log.Info("stopping: waiting for the run in progress")
	<-c.Stop().Done()
	log.Info("scheduler stopped")
	return nil
}
