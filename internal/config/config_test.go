package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadLayers(t *testing.T) {
	yml := "organization: acme-corp\nstore:\n  path: /var/lib/r.duckdb\nreport:\n  target_score: 85\n"
	tests := []struct {
		name  string
		env   []string
		check func(Config) string
	}{
		{"file over defaults", nil, func(c Config) string {
			if c.Organization != "acme-corp" || c.Store.Path != "/var/lib/r.duckdb" || c.Report.TargetScore != 85 || c.Report.WindowDays != 90 {
				return "file values not applied over defaults"
			}
			return ""
		}},
		{"environment over file", []string{"REPORTER_STORE_PATH=/tmp/x.duckdb", "REPORTER_REPORT_FORMATS=json, text", "REPORTER_REPORT_WINDOW_DAYS=30"}, func(c Config) string {
			if c.Store.Path != "/tmp/x.duckdb" || strings.Join(c.Report.Formats, "|") != "json|text" || c.Report.WindowDays != 30 {
				return "environment not applied"
			}
			return ""
		}},
		{"regions collection mode", []string{"REPORTER_COLLECT_AWS_MODE=regions"}, func(c Config) string {
			if c.Collect.AWS.Mode != "regions" {
				return "collect.aws.mode regions not applied: " + c.Collect.AWS.Mode
			}
			return ""
		}},
		{"REPORTER_DB alias", []string{"REPORTER_DB=/tmp/alias.duckdb"}, func(c Config) string {
			if c.Store.Path != "/tmp/alias.duckdb" {
				return "REPORTER_DB not applied"
			}
			return ""
		}},
		{"REPORTER_STORE_PATH wins over the alias", []string{"REPORTER_DB=/a", "REPORTER_STORE_PATH=/b"}, func(c Config) string {
			if c.Store.Path != "/b" {
				return "precedence wrong: " + c.Store.Path
			}
			return ""
		}},
		{"shard from the environment", []string{"REPORTER_COLLECT_AWS_SHARD=2/4"}, func(c Config) string {
			if i, n, err := ParseShard(c.Collect.AWS.Shard); i != 2 || n != 4 || err != nil || c.Store.S3ShardsPrefix != "shards/" {
				return "REPORTER_COLLECT_AWS_SHARD not applied: " + c.Collect.AWS.Shard
			}
			return ""
		}},
		{"max snapshot age default", nil, func(c Config) string {
			if c.Report.MaxSnapshotAge != 36*time.Hour {
				return fmt.Sprintf("report.max_snapshot_age default %v, want 36h", c.Report.MaxSnapshotAge)
			}
			return ""
		}},
		{"max snapshot age from the environment", []string{"REPORTER_REPORT_MAX_SNAPSHOT_AGE=72h"}, func(c Config) string {
			if c.Report.MaxSnapshotAge != 72*time.Hour {
				return fmt.Sprintf("REPORTER_REPORT_MAX_SNAPSHOT_AGE read as %v", c.Report.MaxSnapshotAge)
			}
			return ""
		}},
		{"max snapshot age off", []string{"REPORTER_REPORT_MAX_SNAPSHOT_AGE=0"}, func(c Config) string {
			if c.Report.MaxSnapshotAge != 0 {
				return fmt.Sprintf("REPORTER_REPORT_MAX_SNAPSHOT_AGE=0 read as %v", c.Report.MaxSnapshotAge)
			}
			return ""
		}},
		// The form Step Functions gives $$.Execution.StartTime in.
		{"shard start from the environment", []string{"REPORTER_COLLECT_AWS_SHARD_STARTED_AT=2025-02-24T23:59:30.123Z"}, func(c Config) string {
			if at, err := ParseStartedAt(c.Collect.AWS.ShardStartedAt); err != nil || !at.Equal(time.Date(2025, 2, 24, 23, 59, 30, 123e6, time.UTC)) {
				return fmt.Sprintf("REPORTER_COLLECT_AWS_SHARD_STARTED_AT read as %v (%v)", at, err)
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(strings.NewReader(yml), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.check(c); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name, yml string
		env       []string
		wantKey   string // in the message
	}{
		{"unknown key", "report:\n  target_scor: 80\n", nil, "target_scor"},
		{"bad source", "collect:\n  source: ftp\n", nil, "collect.source"},
		{"target out of range", "report:\n  target_score: 120\n", nil, "report.target_score"},
		{"target horizon zero", "report:\n  target_horizon_days: 0\n", nil, "report.target_horizon_days: 0 is not a positive number of days"},
		{"target horizon negative in env", "", []string{"REPORTER_REPORT_TARGET_HORIZON_DAYS=-30"}, "report.target_horizon_days: -30"},
		{"bad env number", "", []string{"REPORTER_REPORT_WINDOW_DAYS=ninety"}, "REPORTER_REPORT_WINDOW_DAYS"},
		{"wrong type in file", "report:\n  window_days: lots\n", nil, "window_days"},
		{"bad collect mode", "collect:\n  aws:\n    mode: everything\n", nil, "collect.aws.mode"},
		{"unknown aws key", "collect:\n  aws:\n    regoins: [us-east-1]\n", nil, "collect.aws.regoins"},
		{"bad account id in env", "", []string{"REPORTER_COLLECT_AWS_ACCOUNTS_EXCLUDE=111122223333,12345"}, "collect.aws.accounts.exclude"},
		{"concurrency zero", "collect:\n  aws:\n    max_concurrency: 0\n", nil, "collect.aws.max_concurrency"},
		{"assume role not an ARN", "", []string{"REPORTER_COLLECT_AWS_ASSUME_ROLE_ARN=SecurityAudit"}, "collect.aws.assume_role_arn"},
		{"shard past the count", "", []string{"REPORTER_COLLECT_AWS_SHARD=5/4"}, `collect.aws.shard: "5/4": want i/n with 1 <= i <= n, e.g. 2/4`},
		{"shard not i/n", "collect:\n  aws:\n    shard: 2of4\n", nil, "collect.aws.shard"},
		{"shard zero", "", []string{"REPORTER_COLLECT_AWS_SHARD=0/2"}, "collect.aws.shard"},
		{"shard start not a time", "", []string{"REPORTER_COLLECT_AWS_SHARD_STARTED_AT=2025-02-24"}, `collect.aws.shard_started_at: "2025-02-24" is not an RFC 3339 time`},
		{"max snapshot age without a unit", "report:\n  max_snapshot_age: 36\n", nil, "report.max_snapshot_age (from file): line 2: \"36\" is not a duration such as 36h (or 0)"},
		{"max snapshot age under a day", "report:\n  max_snapshot_age: 12h\n", nil, "report.max_snapshot_age: 12h0m0s is less than a day"},
		{"max snapshot age not a duration", "report:\n  max_snapshot_age: 2d\n", nil, "report.max_snapshot_age"},
		{"max snapshot age negative in env", "", []string{"REPORTER_REPORT_MAX_SNAPSHOT_AGE=-36h"}, "report.max_snapshot_age: -36h0m0s is less than a day"},
		{"max snapshot age not a duration in env", "", []string{"REPORTER_REPORT_MAX_SNAPSHOT_AGE=soon"}, `REPORTER_REPORT_MAX_SNAPSHOT_AGE): "soon" is not a duration`},
		{"shards prefix without slash", "store:\n  s3_shards_prefix: shards\n", nil, "store.s3_shards_prefix"},
		{"memory limit with SQL", "store:\n  memory_limit: \"1GB'; DROP TABLE snapshots; --\"\n", nil, `store.memory_limit: "1GB'; DROP TABLE snapshots; --" is not a number and a unit`},
		{"memory limit with a setting", "", []string{"REPORTER_STORE_MEMORY_LIMIT=1GB&access_mode=READ_ONLY"}, `store.memory_limit: "1GB&access_mode=READ_ONLY"`},
		{"memory limit in words", "report:\n  memory_limit: lots\n", nil, `report.memory_limit: "lots"`},
		{"memory limit without unit", "", []string{"REPORTER_REPORT_MEMORY_LIMIT=1000000"}, "report.memory_limit"},
		{"memory limit zero", "store:\n  memory_limit: 0MB\n", nil, "store.memory_limit"},
		{"memory limit as a percentage", "store:\n  memory_limit: 80%\n", nil, "store.memory_limit"},
		{"disabled control without id", "controls:\n  disabled:\n    - {account: \"111122223333\"}\n", nil, "controls.disabled[0].control_id: is required"},
		{"disabled control bad account", "controls:\n  disabled:\n    - {control_id: S3.1}\n    - {control_id: IAM.6, account: \"12345\"}\n", nil, `controls.disabled[1].account: "12345" is not a 12-digit`},
		{"disabled control misspelt key", "controls:\n  disabled:\n    - {control_id: S3.1, acount: \"111122223333\"}\n", nil, `controls.disabled (from file): line 3: unknown key "acount"`},
		{"disabled controls from env", "", []string{"REPORTER_CONTROLS_DISABLED=S3.1"}, "controls.disabled (from environment REPORTER_CONTROLS_DISABLED): is a list of entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.yml), tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("got %v, want an error naming %s", err, tt.wantKey)
			}
		})
	}
	var ve *ValidationError
	if _, err := Load(strings.NewReader("collect:\n  source: ftp\n"), nil); !errors.As(err, &ve) || ve.Key != "collect.source" {
		t.Errorf("not a ValidationError for collect.source: %v", err)
	}
}

func TestKeysCoverEveryField(t *testing.T) {
	keys := strings.Join(Keys(), " ")
	for _, k := range []string{"organization", "store.path", "collect.source", "report.formats", "report.automation_markers",
		"collect.aws.shard", "store.s3_shards_prefix"} {
		if !strings.Contains(keys, k) {
			t.Errorf("Keys() lacks %s: %s", k, keys)
		}
	}
}

func TestShippedExampleLoads(t *testing.T) {
	f, err := os.Open("../../configs/reporter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := Load(f, nil)
	if err != nil {
		t.Fatalf("configs/reporter.yaml: %v", err)
	}
	if c.Organization != "acme-corp" {
		t.Errorf("organization %q", c.Organization)
	}
}

func TestShippedAuditManagerExampleLoads(t *testing.T) {
	f, err := os.Open("../../configs/auditmanager.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := LoadAuditManager(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Controls) != 3 || m.Controls[2].Standards[0] != "standards/pci-dss/v/3.2.1" {
		t.Errorf("example mapping read as %+v", m)
	}
	_, err = LoadAuditManager(strings.NewReader("assessment_id: 5d6c0b52-9f1e-4c59-8f0e-2d2f3d1a7b10\ncontrols:\n  - control_set: X\n    control_id: 0b7f8a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b\n    security_control: [S3.1]\n"))
	if err == nil || !strings.Contains(err.Error(), "security_control") {
		t.Errorf("a misspelt key should be named: %v", err)
	}
}

func TestMemoryLimitForms(t *testing.T) {
	for _, v := range []string{"", "160MB", "1GB", "1.5GiB", "512 MiB", "2gb", "100B", "1TB", "3KiB"} {
		if err := CheckMemoryLimit(v); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	for _, v := range []string{"lots", "1GB'; DROP", "GB", "1 GB ", " 1GB", "1,5GB", "1e9B", "1PB", "-1GB", "1GB&x=y"} {
		if err := CheckMemoryLimit(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
	var ve *ValidationError
	if _, err := Load(strings.NewReader("store:\n  memory_limit: lots\n"), nil); !errors.As(err, &ve) || ve.Key != "store.memory_limit" {
		t.Errorf("not a ValidationError for store.memory_limit: %v", err)
	}
}

// TestOrganizationUnsetIsTold: the default configuration names no organization, so the source's
// own name (or DefaultOrganization) is used; one configured in the file or the environment wins.
func TestOrganizationUnsetIsTold(t *testing.T) {
	for _, c := range []struct {
		name, yml string
		env       []string
		want      string
	}{
		{"unset", "", nil, "acme-corp"},
		{"empty in the file", "organization: \"\"\n", nil, "acme-corp"},
		{"file", "organization: Example Corp\n", nil, "Example Corp"},
		{"environment", "", []string{"REPORTER_ORGANIZATION=Example Corp"}, "Example Corp"},
		{"the configured default name is configured", "organization: my-organization\n", nil, "my-organization"},
	} {
		cfg, err := Load(strings.NewReader(c.yml), c.env)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.OrganizationOr("acme-corp"); got != c.want {
			t.Errorf("%s: OrganizationOr = %q, want %q", c.name, got, c.want)
		}
	}
	if got := Default().OrganizationOr(DefaultOrganization); got != "my-organization" {
		t.Errorf("default organization %q", got)
	}
}

// TestMaxSnapshotAgeZeroInTheFile: the documented "0 turns the check off" works as YAML writes it,
// a bare integer, not only as the string "0s".
func TestMaxSnapshotAgeZeroInTheFile(t *testing.T) {
	for _, yml := range []string{"report:\n  max_snapshot_age: 0\n", "report:\n  max_snapshot_age: \"0s\"\n", "report:\n  max_snapshot_age: 48h\n"} {
		cfg, err := Load(strings.NewReader(yml), nil)
		if err != nil {
			t.Fatalf("%q: %v", yml, err)
		}
		want := time.Duration(0)
		if strings.Contains(yml, "48h") {
			want = 48 * time.Hour
		}
		if cfg.Report.MaxSnapshotAge != want {
			t.Errorf("%q: max_snapshot_age %v, want %v", yml, cfg.Report.MaxSnapshotAge, want)
		}
	}
}

func TestControlsDisabledLoads(t *testing.T) {
	cfg, err := Load(strings.NewReader(`controls:
  disabled:
    - control_id: CloudTrail.1
      account: "111122223333"
      region: eu-west-1
      reason: sandbox, CHG-1
    - {control_id: IAM.6, standard: fsbp}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []DisabledControl{{ControlID: "CloudTrail.1", Account: "111122223333", Region: "eu-west-1", Reason: "sandbox, CHG-1"},
		{ControlID: "IAM.6", Standard: "fsbp"}}
	if fmt.Sprint(cfg.Controls.Disabled) != fmt.Sprint(want) {
		t.Errorf("got %+v, want %+v", cfg.Controls.Disabled, want)
	}
}

func TestAccounts(t *testing.T) {
	cfg, err := Load(strings.NewReader(`
accounts:
  - {account_id: "111122223333", name: payments-prod, ou: Root/Workloads/Prod, owner: payments@example.com}
  - {account_id: "444455556666", ou: Sandbox}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []AccountInfo{{AccountID: "111122223333", Name: "payments-prod", OU: "Root/Workloads/Prod", Owner: "payments@example.com"}, {AccountID: "444455556666", OU: "Sandbox"}}
	if !reflect.DeepEqual(cfg.Accounts, want) {
		t.Errorf("accounts = %+v, want %+v", cfg.Accounts, want)
	}
	if cfg.Collect.AWS.OwnerTag != "owner" {
		t.Errorf("owner_tag = %q, want the default owner", cfg.Collect.AWS.OwnerTag)
	}
	for _, c := range []struct{ yaml, key string }{
		{"accounts:\n  - {account_id: \"1234\", ou: Sandbox}\n", "accounts[0].account_id"},
		{"accounts:\n  - {account_id: \"111122223333\"}\n  - {account_id: \"111122223333\", ou: X}\n", "accounts[1].account_id"},
		{"accounts:\n  - {account_id: \"111122223333\", team: x}\n", "accounts"},
		{"collect: {aws: {owner_tag: \" \"}}\n", "collect.aws.owner_tag"},
	} {
		_, err := Load(strings.NewReader(c.yaml), nil)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Key != c.key {
			t.Errorf("%q: %v, want a ValidationError for %s", c.yaml, err, c.key)
		}
	}
	for in, want := range map[string]string{"Root/Workloads/Prod": "Workloads/Prod", " Sandbox ": "Sandbox", "Workloads//Non-Prod/": "Workloads/Non-Prod", "Root": "", "": ""} {
		if got := OUPath(in); got != want {
			t.Errorf("OUPath(%q) = %q, want %q", in, got, want)
		}
	}
}
