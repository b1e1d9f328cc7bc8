package main

import (
	"context"

	runner "github.com/hubreport/hubreport/internal/run"
)

// runRun parses `run`'s flags and runs the chain once (internal/run): collect or merge, save,
// report, deliver.
func runRun(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "run", "run [--config FILE] [--steps collect,report,deliver | merge,report,deliver] [--init-state]")
	stepList := fs.String("steps", "collect,report,deliver",
		"steps to run: collect or merge (the shards a sharded collection uploaded), report, deliver (deliver implies report); "+
			"with collect.aws.shard set, only collect")
	initState := fs.Bool("init-state", false,
		"first run only: when the store.s3_state object does not exist, start an empty history and create it "+
			"(without this flag a missing object is an error; with it, an existing object is refused)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run takes no arguments, got %q", fs.Args())
	}
	steps, err := runner.ParseSteps(*stepList)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	opts := e.runOptions(cfg)
	opts.Steps, opts.InitState = steps, *initState
	res, err := runner.Run(ctx, opts)
	runner.LogFinished(e.log, "run", res, err)
	if err == nil {
		return res.Warning() // exit 3 after a partial or stale snapshot was delivered
	}
	return err
}
