// Package config loads reporter's configuration: defaults, then a YAML file, then environment
// variables, then validation. Flags are applied by the caller after Load. There is no global
// configuration state: every command gets its own Config value.
//
// Environment variables: REPORTER_ followed by the key's YAML path in upper case, joined with "_"
// (store.path -> REPORTER_STORE_PATH, report.formats -> REPORTER_REPORT_FORMATS). Lists are
// comma-separated. REPORTER_DB is kept as a short alias of REPORTER_STORE_PATH.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration.
type Config struct {
	// Organization names the organization in reports and email subjects, whatever name the
	// source carries. Empty means not configured: use OrganizationOr, which gives the demo
	// source's own name, or DefaultOrganization for AWS and file imports.
	Organization string `yaml:"organization"`
	// AdministratorAccount is shown in reports when the source does not tell it (file imports).
	AdministratorAccount string     `yaml:"administrator_account"`
	Store                Store      `yaml:"store"`
	Collect              Collect    `yaml:"collect"`
	Report               Report     `yaml:"report"`
	Deliver              Deliver    `yaml:"deliver"`
	Schedule             Schedule   `yaml:"schedule"`
	Catalog              Catalog    `yaml:"catalog"`
	Controls             Controls   `yaml:"controls"`
	Exceptions           Exceptions `yaml:"exceptions"`
	// Accounts names accounts, places them in OUs and gives their owners where the source
	// cannot (file imports, the demo) or says otherwise; applied to every snapshot collected.
	Accounts []AccountInfo `yaml:"accounts"`
}

// Catalog selects the control catalog.
type Catalog struct {
	// Path names a catalog file (the format `reporter catalog refresh` writes) that every command
	// uses instead of the embedded catalog. Empty: the embedded one.
	Path string `yaml:"path"`
}

// Store configures the DuckDB file.
type Store struct {
	Path string `yaml:"path"`
	// MemoryLimit caps DuckDB's buffer pool, e.g. "2GB"; beyond it DuckDB spills to disk. The
	// default keeps an import's memory flat whatever the file size; empty means 80% of RAM.
	MemoryLimit string `yaml:"memory_limit"`
	// S3State keeps the database file in S3 for runs on ephemeral compute: `run` downloads it
	// first and uploads it after a successful run, only if nobody else updated it meanwhile.
	S3State S3Location `yaml:"s3_state"`
	// RetentionDays keeps the snapshots taken within this many days of the newest one; older
	// ones are deleted, and the space given back, after each new snapshot. 0 keeps everything.
	RetentionDays int `yaml:"retention_days"`
	// S3ShardsPrefix is where, in S3State's bucket, a sharded `run` (collect.aws.shard set) puts
	// its Parquet export, under <prefix><YYYY-MM-DD>/<i>-of-<n>/, and where `run --steps merge`
	// finds the shards to merge into the state.
	S3ShardsPrefix string `yaml:"s3_shards_prefix"`
}

// S3Location is an object in S3; an empty bucket turns the feature off.
type S3Location struct {
	Bucket string `yaml:"bucket"`
	Key    string `yaml:"key"`
}

// Deliver configures where reports go after a run.
type Deliver struct {
	Email   Email   `yaml:"email"`
	Archive Archive `yaml:"archive"`
	// Slack and Teams get a short digest of each report (see Webhook and ChatWebhooks).
	Slack Webhook `yaml:"slack"`
	Teams Webhook `yaml:"teams"`
}

// Email sends the report by SES v2 or SMTP. No recipients: no email.
type Email struct {
	Transport string   `yaml:"transport"` // ses | smtp
	From      string   `yaml:"from"`
	To        []string `yaml:"to"`
	SMTP      SMTP     `yaml:"smtp"`
	// Routes send each a report of some accounts (an OU, or an owner) to their own recipients,
	// besides the organization's report to To (see Route).
	Routes []Route `yaml:"routes"`
}

// SMTP is an SMTP submission server. The password is never in the file: PasswordEnv names the
// environment variable that holds it.
type SMTP struct {
	Host        string `yaml:"host"`
	Port        int    `yaml:"port"`
	StartTLS    bool   `yaml:"starttls"`
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
}

// Archive keeps every report under YYYY/MM/DD/ in S3 and/or a folder; nothing is overwritten.
type Archive struct {
	S3  S3Archive `yaml:"s3"`
	Dir string    `yaml:"dir"`
}

// S3Archive is the S3 side of the archive.
type S3Archive struct {
	Bucket   string `yaml:"bucket"`
	Prefix   string `yaml:"prefix"`
	KMSKeyID string `yaml:"kms_key_id"` // SSE-KMS with this key when set
}

// Schedule holds the cron specs of `reporter schedule` (robfig/cron syntax, CRON_TZ= allowed,
// an optional leading seconds field). Empty: that job does not run.
type Schedule struct {
	Collect string `yaml:"collect"`
	Report  string `yaml:"report"`
}

// Collect configures where findings come from.
type Collect struct {
	Source string `yaml:"source"` // aws | file | demo
	AWS    AWS    `yaml:"aws"`
}

// AWS configures collection from the AWS APIs.
type AWS struct {
	// Mode is "aggregator" (read every member from the delegated administrator's aggregation
	// region), "accounts" (assume RoleName in each member and read each account/region) or
	// "regions" (the administrator reads each region itself, in parallel, each finding once).
	Mode string `yaml:"mode"`
	// RoleName is the member-account role for accounts mode: a name, or an ARN with {account}.
	RoleName string `yaml:"role_name"`
	// Regions read in accounts and regions mode; empty: the home region and the aggregator's
	// linked regions.
	Regions  []string    `yaml:"regions"`
	Accounts AWSAccounts `yaml:"accounts"`
	// MaxConcurrency bounds the account/region pairs read at once in accounts mode.
	MaxConcurrency int `yaml:"max_concurrency"`
	// AssumeRoleARN is assumed first with the default credentials (the security account's role).
	AssumeRoleARN string `yaml:"assume_role_arn"`
	// ProductNames narrows collection server-side to these products, e.g. ["Security Hub"].
	ProductNames []string `yaml:"product_names"`
	// Shard is "i/n" (1-based): collect only the i-th of n slices of the accounts (accounts mode),
	// for n collectors side by side. `collect --shard` overrides it; ECS sets it per task
	// (REPORTER_COLLECT_AWS_SHARD). Empty: every account.
	Shard string `yaml:"shard"`
	// ShardStartedAt (RFC 3339) is when the sharded collection started; every shard dates its
	// snapshot so, and the merge stores them as one snapshot of that day even when some shards
	// finish after midnight UTC. The ECS state machine sets it to its execution's start time
	// (REPORTER_COLLECT_AWS_SHARD_STARTED_AT). Empty: each shard's own time. Unsharded
	// collections ignore it.
	ShardStartedAt string `yaml:"shard_started_at"`
	// OwnerTag is the account tag (Organizations ListTagsForResource) whose value is the account's
	// owner in reports.
	OwnerTag string `yaml:"owner_tag"`
}

// ParseStartedAt reads collect.aws.shard_started_at.
func ParseStartedAt(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time like 2025-02-24T06:00:00.123Z", s)
	}
	return t.UTC(), nil
}

// ParseShard reads a shard "i/n" (1 <= i <= n).
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, erri := strconv.Atoi(a)
	n, errn := strconv.Atoi(b)
	if !ok || erri != nil || errn != nil || n < 1 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("%q: want i/n with 1 <= i <= n, e.g. 2/4", s)
	}
	return i, n, nil
}

// AWSAccounts selects accounts by id.
type AWSAccounts struct {
	Include []string `yaml:"include"` // empty: every ACTIVE account
	Exclude []string `yaml:"exclude"`
}

// Report configures the analysis and the outputs.
type Report struct {
	Formats []string `yaml:"formats"`
	Out     string   `yaml:"out"`
	// PageSize of the PDF report: A4 or Letter.
	PageSize string `yaml:"page_size"`
	// TargetScore is the score (percent) the progress section projects a date for.
	TargetScore float64 `yaml:"target_score"`
	WindowDays  int     `yaml:"window_days"`
	TopControls int     `yaml:"top_controls"`
	// TargetHorizonDays: a standard is "on track" only when its projected date to reach
	// TargetScore is at most this many days after the report date; later is "off track".
	TargetHorizonDays int `yaml:"target_horizon_days"`
	// AutomationMarkers mark a remediation as automated when found (case-insensitively) in the
	// fixing change's Note.UpdatedBy or UserDefinedFields.
	AutomationMarkers []string `yaml:"automation_markers"`
	// MemoryLimit caps DuckDB's memory while a report is analyzed (store.memory_limit is for
	// writes): a million findings need about 1GB. Empty: 80% of RAM.
	MemoryLimit string `yaml:"memory_limit"`
	// MaxSnapshotAge is how old the latest snapshot may be when `report` or `run` reports on it
	// (a Go duration, e.g. 36h). An older one is reported all the same, with a stale warning at
	// the top of every format, and the command exits 3: collection has stopped. 0 turns the
	// check off.
	MaxSnapshotAge time.Duration `yaml:"max_snapshot_age"`
}

// DefaultOrganization names the organization when the configuration does not and the source
// carries no name of its own (AWS, file imports).
const DefaultOrganization = "my-organization"

// OrganizationOr is the configured organization name, or sourceName when none is configured:
// what the operator configured always wins over a name the source carries.
func (c Config) OrganizationOr(sourceName string) string {
	if o := strings.TrimSpace(c.Organization); o != "" {
		return o
	}
	return sourceName
}

// Default returns the configuration used when nothing overrides it. Organization is left
// empty, so that a configured name can be told from none (see OrganizationOr).
func Default() Config {
	return Config{
		Organization: "", // unset; see OrganizationOr
		Store:        Store{Path: "data/reporter.duckdb", MemoryLimit: "160MB", RetentionDays: 400, S3ShardsPrefix: "shards/"},
		Collect:      Collect{Source: "aws", AWS: AWS{Mode: "aggregator", RoleName: "HubReportReader", MaxConcurrency: 32, OwnerTag: DefaultOwnerTag}},
		Report: Report{
			Formats:           []string{"text", "json", "pdf", "xlsx"},
			Out:               "out/",
			PageSize:          "A4",
			TargetScore:       90,
			WindowDays:        90,
			TopControls:       25,
			TargetHorizonDays: 365,
			AutomationMarkers: []string{"AutoRemediation", "SSM-Automation"},
			MemoryLimit:       "1GB",
			// A day and a half: a daily collection that ran late is not stale, one that missed
			// a day is.
			MaxSnapshotAge: 36 * time.Hour,
		},
		Deliver: Deliver{
			Email:   Email{Transport: "ses", SMTP: SMTP{Port: 587, StartTLS: true, PasswordEnv: "SMTP_PASSWORD"}},
			Archive: Archive{S3: S3Archive{Prefix: "reports/"}},
		},
		Schedule:   Schedule{Collect: "CRON_TZ=UTC 0 6 * * *", Report: "CRON_TZ=UTC 0 7 * * MON"},
		Exceptions: DefaultExceptions(),
	}
}

// ValidationError names the key that is wrong.
type ValidationError struct {
	Key    string // YAML path, e.g. "report.target_score"
	Source string // where the bad value came from: "file", "environment REPORTER_X", or ""
	Msg    string
}

func (e *ValidationError) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("config %s (from %s): %s", e.Key, e.Source, e.Msg)
	}
	return fmt.Sprintf("config %s: %s", e.Key, e.Msg)
}

// Load reads YAML from r (nil: no file) over the defaults, applies environment variables from
// env (as os.Environ gives them), and validates the result, including the variables the chat
// webhook keys name (ChatWebhooks).
func Load(r io.Reader, env []string) (Config, error) {
	cfg := Default()
	if r != nil {
		data, err := io.ReadAll(r)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if len(bytes.TrimSpace(data)) > 0 {
			var doc yaml.Node
			if err := yaml.Unmarshal(data, &doc); err != nil {
				return cfg, fmt.Errorf("config: %w", err)
			}
			if len(doc.Content) > 0 {
				if err := decodeNode(doc.Content[0], reflect.ValueOf(&cfg).Elem(), ""); err != nil {
					return cfg, err
				}
			}
		}
	}
	if err := applyEnv(&cfg, env); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	// The chat webhooks' variables are checked here, where the environment is at hand, so that a
	// missing one stops the command before anything is collected.
	_, err := cfg.ChatWebhooks(env)
	return cfg, err
}

// Validate checks every value and returns the first bad one as a *ValidationError. It has no
// environment, so the variables that the chat webhook keys name are checked by ChatWebhooks
// (Load calls both).
func (c Config) Validate() error {
	if strings.TrimSpace(c.Store.Path) == "" {
		return &ValidationError{Key: "store.path", Msg: "must not be empty"}
	}
	switch c.Collect.Source {
	case "aws", "file", "demo":
	default:
		return &ValidationError{Key: "collect.source", Msg: fmt.Sprintf("%q is not one of aws, file, demo", c.Collect.Source)}
	}
	if m := c.Collect.AWS.Mode; m != "aggregator" && m != "accounts" && m != "regions" {
		return &ValidationError{Key: "collect.aws.mode", Msg: fmt.Sprintf("%q is not aggregator, accounts or regions", m)}
	}
	if strings.TrimSpace(c.Collect.AWS.RoleName) == "" {
		return &ValidationError{Key: "collect.aws.role_name", Msg: "must not be empty"}
	}
	if n := c.Collect.AWS.MaxConcurrency; n < 1 || n > 1024 {
		return &ValidationError{Key: "collect.aws.max_concurrency", Msg: fmt.Sprintf("%d is not between 1 and 1024", n)}
	}
	for _, list := range []struct {
		key string
		ids []string
	}{{"collect.aws.accounts.include", c.Collect.AWS.Accounts.Include}, {"collect.aws.accounts.exclude", c.Collect.AWS.Accounts.Exclude}} {
		for _, id := range list.ids {
			if !isAccountID(id) {
				return &ValidationError{Key: list.key, Msg: fmt.Sprintf("%q is not a 12-digit AWS account id", id)}
			}
		}
	}
	if strings.TrimSpace(c.Collect.AWS.OwnerTag) == "" {
		return &ValidationError{Key: "collect.aws.owner_tag", Msg: "must not be empty (the default is " + DefaultOwnerTag + ")"}
	}
	if err := validateAccounts(c.Accounts); err != nil {
		return err
	}
	if err := c.Controls.validate(); err != nil {
		return err
	}
	if err := c.Exceptions.validate(); err != nil {
		return err
	}
	if s := c.Collect.AWS.Shard; s != "" {
		if _, _, err := ParseShard(s); err != nil {
			return &ValidationError{Key: "collect.aws.shard", Msg: err.Error()}
		}
	}
	if s := c.Collect.AWS.ShardStartedAt; s != "" {
		if _, err := ParseStartedAt(s); err != nil {
			return &ValidationError{Key: "collect.aws.shard_started_at", Msg: err.Error()}
		}
	}
	if a := c.Collect.AWS.AssumeRoleARN; a != "" && !strings.HasPrefix(a, "arn:") {
		return &ValidationError{Key: "collect.aws.assume_role_arn", Msg: fmt.Sprintf("%q is not an ARN", a)}
	}
	if c.Report.TargetScore <= 0 || c.Report.TargetScore > 100 {
		return &ValidationError{Key: "report.target_score", Msg: fmt.Sprintf("%v is not a percentage in (0, 100]", c.Report.TargetScore)}
	}
	if c.Report.WindowDays < 1 || c.Report.WindowDays > 3660 {
		return &ValidationError{Key: "report.window_days", Msg: fmt.Sprintf("%d is not between 1 and 3660", c.Report.WindowDays)}
	}
	if c.Report.TargetHorizonDays < 1 {
		return &ValidationError{Key: "report.target_horizon_days", Msg: fmt.Sprintf("%d is not a positive number of days (e.g. 365)", c.Report.TargetHorizonDays)}
	}
	if c.Report.TopControls < 1 {
		return &ValidationError{Key: "report.top_controls", Msg: "must be at least 1"}
	}
	if c.Report.PageSize != "A4" && c.Report.PageSize != "Letter" {
		return &ValidationError{Key: "report.page_size", Msg: fmt.Sprintf("%q is neither A4 nor Letter", c.Report.PageSize)}
	}
	if a := c.Report.MaxSnapshotAge; a != 0 && a < 24*time.Hour {
		// Snapshots are daily: a shorter limit would call every report stale.
		return &ValidationError{Key: "report.max_snapshot_age", Msg: fmt.Sprintf("%v is less than a day: give at least 24h (e.g. 36h), or 0 to turn the check off", a)}
	}
	if len(c.Report.Formats) == 0 {
		return &ValidationError{Key: "report.formats", Msg: "must name at least one format"}
	}
	if c.Store.RetentionDays < 0 {
		return &ValidationError{Key: "store.retention_days", Msg: fmt.Sprintf("%d is negative (0 keeps every snapshot)", c.Store.RetentionDays)}
	}
	if c.Store.RetentionDays > 0 && c.Store.RetentionDays < c.Report.WindowDays {
		return &ValidationError{Key: "store.retention_days", Msg: fmt.Sprintf("%d is shorter than report.window_days (%d): the progress section would lose its start", c.Store.RetentionDays, c.Report.WindowDays)}
	}
	for _, m := range []struct{ key, value string }{{"store.memory_limit", c.Store.MemoryLimit}, {"report.memory_limit", c.Report.MemoryLimit}} {
		if err := CheckMemoryLimit(m.value); err != nil {
			return &ValidationError{Key: m.key, Msg: err.Error()}
		}
	}
	if (c.Store.S3State.Bucket == "") != (c.Store.S3State.Key == "") {
		return &ValidationError{Key: "store.s3_state", Msg: "needs both bucket and key (or neither)"}
	}
	if p := c.Store.S3ShardsPrefix; p == "" || !strings.HasSuffix(p, "/") || strings.HasPrefix(p, "/") {
		return &ValidationError{Key: "store.s3_shards_prefix", Msg: fmt.Sprintf("%q is not a key prefix like shards/ (not empty, ending in /, not starting with /)", p)}
	}
	if p := c.Catalog.Path; p != "" {
		// The file's contents are checked where the catalog is parsed (cmd/reporter), which
		// names this key too; here only that there is a file.
		if fi, err := os.Stat(p); err != nil {
			return &ValidationError{Key: "catalog.path", Msg: fmt.Sprintf("%s: %v (write one with `reporter catalog refresh --out FILE`, or leave the key empty for the embedded catalog)", p, errors.Unwrap(err))}
		} else if fi.IsDir() {
			return &ValidationError{Key: "catalog.path", Msg: fmt.Sprintf("%s is a directory, not a catalog file", p)}
		}
	}
	e := c.Deliver.Email
	if e.Transport != "ses" && e.Transport != "smtp" {
		return &ValidationError{Key: "deliver.email.transport", Msg: fmt.Sprintf("%q is neither ses nor smtp", e.Transport)}
	}
	if len(e.To) > 0 && !strings.Contains(e.From, "@") {
		return &ValidationError{Key: "deliver.email.from", Msg: "needs a sender address when deliver.email.to is set"}
	}
	for _, to := range e.To {
		if !strings.Contains(to, "@") {
			return &ValidationError{Key: "deliver.email.to", Msg: fmt.Sprintf("%q is not an email address", to)}
		}
	}
	if len(e.To) > 0 && e.Transport == "smtp" && e.SMTP.Host == "" {
		return &ValidationError{Key: "deliver.email.smtp.host", Msg: "needed with transport smtp"}
	}
	if e.SMTP.Port < 1 || e.SMTP.Port > 65535 {
		return &ValidationError{Key: "deliver.email.smtp.port", Msg: fmt.Sprintf("%d is not a TCP port", e.SMTP.Port)}
	}
	if err := c.validateRoutes(); err != nil {
		return err
	}
	return c.Deliver.validateChat()
}

func isAccountID(s string) bool { return len(s) == 12 && strings.Trim(s, "0123456789") == "" }

// decodeNode decodes a YAML mapping into the struct v key by key, so that an unknown key or a value
// of the wrong type is reported with its full key path (yaml's own errors give only a line).
func decodeNode(n *yaml.Node, v reflect.Value, prefix string) error {
	if n.Kind != yaml.MappingNode {
		key := prefix
		if key == "" {
			key = "(top level)"
		}
		return &ValidationError{Key: key, Source: "file", Msg: fmt.Sprintf("line %d: expected a mapping of keys", n.Line)}
	}
	fields := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			fields[tag] = v.Field(i)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, val := n.Content[i].Value, n.Content[i+1]
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		f, ok := fields[name]
		if !ok {
			return &ValidationError{Key: key, Source: "file", Msg: fmt.Sprintf("line %d: unknown key", n.Content[i].Line)}
		}
		if f.Kind() == reflect.Struct {
			if err := decodeNode(val, f, key); err != nil {
				return err
			}
			continue
		}
		// yaml decodes a duration from a string only; a bare 0 (the documented "off") is an int.
		if f.Type() == reflect.TypeFor[time.Duration]() && val.Kind == yaml.ScalarNode {
			d, err := time.ParseDuration(strings.TrimSpace(val.Value))
			if err != nil {
				return &ValidationError{Key: key, Source: "file", Msg: fmt.Sprintf("line %d: %q is not a duration such as 36h (or 0)", val.Line, val.Value)}
			}
			f.SetInt(int64(d))
			continue
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			msg := err.Error()
			var te *yaml.TypeError
			if errors.As(err, &te) && len(te.Errors) > 0 {
				msg = strings.Join(te.Errors, "; ")
			}
			return &ValidationError{Key: key, Source: "file", Msg: msg}
		}
	}
	return nil
}

// applyEnv walks the yaml-tagged fields and sets those named by REPORTER_* variables.
func applyEnv(cfg *Config, env []string) error {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "REPORTER_") {
			vars[k] = v
		}
	}
	if v, ok := vars["REPORTER_DB"]; ok {
		if _, both := vars["REPORTER_STORE_PATH"]; !both {
			vars["REPORTER_STORE_PATH"] = v
		}
	}
	return walk(reflect.ValueOf(cfg).Elem(), "", func(key string, f reflect.Value) error {
		name := "REPORTER_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		v, ok := vars[name]
		if !ok {
			return nil
		}
		if err := setFromString(f, v); err != nil {
			return &ValidationError{Key: key, Source: "environment " + name, Msg: err.Error()}
		}
		return nil
	})
}

func walk(v reflect.Value, prefix string, fn func(key string, f reflect.Value) error) error {
	t := v.Type()
	for i := range t.NumField() {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			if err := walk(f, key, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(key, f); err != nil {
			return err
		}
	}
	return nil
}

func setFromString(f reflect.Value, s string) error {
	if f.Type() == reflect.TypeFor[time.Duration]() {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a duration like 36h", s)
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		f.SetInt(int64(n))
	case reflect.Float64:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		f.SetFloat(x)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.SetBool(b)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("is a list of entries: set it in the configuration file")
		}
		var items []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				items = append(items, p)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// Keys lists every configuration key (YAML path), for documentation and tests.
func Keys() []string {
	var keys []string
	cfg := Default()
	_ = walk(reflect.ValueOf(&cfg).Elem(), "", func(key string, _ reflect.Value) error {
		keys = append(keys, key)
		return nil
	})
	return keys
}
