package main

import (
	"bytes"
	"context"
	"fmt"
	"os"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/config"
)

// runCatalog dispatches `reporter catalog SUBCOMMAND`; refresh is the only one.
func runCatalog(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "refresh" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(e.stdout, "Usage: reporter catalog refresh --out FILE|- [--config FILE]")
			return nil
		}
		return usagef("catalog: want `reporter catalog refresh --out FILE`, got %q", args)
	}
	return runCatalogRefresh(ctx, e, args[1:])
}

// runCatalogRefresh reads the current control catalog from Security Hub CSPM with the default AWS
// credentials and region (through collect.aws.assume_role_arn when set, as a collection), and writes it in the catalog file format (catalog.path takes it).
func runCatalogRefresh(ctx context.Context, e *env, args []string) error {
	fs, cfgPath := newFlagSet(e, "catalog refresh", "catalog refresh --out FILE|- [--config FILE]")
	out := fs.String("out", "", "file to write the catalog to (JSON); - writes it to stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("catalog refresh takes no arguments, got %q", fs.Args())
	}
	if *out == "" {
		return usagef("catalog refresh needs --out FILE (or --out - for stdout)")
	}
	cfg, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	// The catalog in use supplies what the APIs do not say: standard keys, control scopes and
	// resource types, legacy control ids.
	known, err := loadCatalog(cfg)
	if err != nil {
		return err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("AWS configuration: %w", err)
	}
	f, err := collect.RefreshCatalog(ctx, awsCfg, collect.RefreshOptions{Known: known,
		AssumeRoleARN: cfg.Collect.AWS.AssumeRoleARN, Retrieved: e.now(), Log: e.log})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := catalog.WriteFile(&buf, f); err != nil {
		return err
	}
	if *out == "-" {
		_, err := e.stdout.Write(buf.Bytes())
		return err
	}
	if err := writeFileAtomic(*out, func(w *os.File) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return fmt.Errorf("write catalog %s: %w", *out, err)
	}
	e.log.Info("catalog written", "path", *out, "standards", len(f.Standards), "controls", len(f.Controls), "source", f.Source)
	return nil
}

// loadCatalog is the catalog every command uses: the file catalog.path names, or the embedded
// one. A file that cannot be read or used is a configuration error (exit 2) naming the key and
// the file.
func loadCatalog(cfg config.Config) (*catalog.Catalog, error) {
	p := cfg.Catalog.Path
	if p == "" {
		return catalog.Default()
	}
	r, err := os.Open(p)
	if err != nil {
		return nil, &config.ValidationError{Key: "catalog.path", Msg: err.Error()}
	}
	defer func() { _ = r.Close() }() // read-only: a close error cannot lose data
	f, err := catalog.ParseFile(r, p)
	if err != nil {
		return nil, &config.ValidationError{Key: "catalog.path", Msg: err.Error() + " (not a catalog file as `reporter catalog refresh` writes)"}
	}
	cat, err := catalog.FromFile(f)
	if err != nil {
		return nil, &config.ValidationError{Key: "catalog.path", Msg: fmt.Sprintf("%s: %v", p, err)}
	}
	return cat, nil
}
