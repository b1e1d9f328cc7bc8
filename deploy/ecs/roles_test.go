package ecs

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/deliver"
	"github.com/hubreport/hubreport/internal/deliver/auditmanager"
)

// The two task roles of reporter.cfn.yaml, each checked against what its task's code calls:
// TaskRole runs the collection (CollectorTaskDefinition), ReportTaskRole the merge, the report
// and the delivery (TaskDefinition).

const (
	stateKey   = "state/reporter.duckdb"
	kmsKey     = "arn:aws:kms:REGION:ACCOUNT_ID:key/KEY_ID"
	orgID      = "o-a1b2c3d4e5"
	sesID      = "example.com"
	emailFrom  = "reports@example.com"
	memberRole = "arn:aws:iam::*:role/HubReportReader"
)

// A use is one thing a task does, as IAM action-on-resource pairs (resources as the test renders
// the template: see pseudoValues). Which uses a task has depends on the stack's parameters.
type use struct {
	code   string   // the code that calls it
	grants []string // "action resource"
}

func uses(archive string) map[string]use {
	bucket, archiveARN := pseudoValues["Bucket.Arn"], pseudoValues[archive+".Arn"]
	return map[string]use{
		// ListBucket: S3 answers 404, not 403, for a state file that does not exist (run
		// --init-state, and the error naming a lost state, depend on it).
		"state": {"deliver.State Download and Upload", []string{
			"s3:GetObject " + bucket + "/" + stateKey, "s3:PutObject " + bucket + "/" + stateKey, "s3:ListBucket " + bucket}},
		"shardUpload": {"deliver.Tree.Upload (collectShard)", []string{"s3:PutObject " + bucket + "/shards/*"}},
		"shardRead": {"deliver.Tree List and Download (findShards, the merge)", []string{
			"s3:ListBucket " + bucket, "s3:GetObject " + bucket + "/shards/*"}},
		// GetObject: an existing copy is compared byte for byte, and the emailed links are
		// presigned with the task's credentials.
		"archive": {"deliver.Archive.Store", []string{
			"s3:PutObject " + archiveARN + "/reports/*", "s3:GetObject " + archiveARN + "/reports/*"}},
		"email": {"deliver.SES.Send", []string{"ses:SendEmail arn:aws:ses:REGION:ACCOUNT_ID:identity/" + sesID}},
	}
}

// collectGrants is collect.Operations on their resources: only AssumeRole has resource-level
// permissions among them.
func collectGrants(t *testing.T) []string {
	var g []string
	for _, op := range collect.Operations {
		switch {
		case op == "sts:AssumeRole":
			g = append(g, op+" "+memberRole)
		case strings.HasPrefix(op, "securityhub:"), strings.HasPrefix(op, "organizations:List"), op == "sts:GetCallerIdentity":
			g = append(g, op+" *")
		default:
			t.Errorf("collect.Operations has %s: say here on which resource the collector's role grants it", op)
		}
	}
	return g
}

// extras are actions AWS checks on the caller's behalf although the code calls no such API.
var extras = map[string]string{
	"kms:GenerateDataKey": "S3 PutObject with SSE-KMS asks KMS for a data key as the caller",
	"kms:Decrypt":         "S3 GetObject of an SSE-KMS object asks KMS to decrypt its data key as the caller",
	"ses:SendRawEmail":    "SES v2 SendEmail with raw content (the reporter's, for attachments) is authorized as ses:SendRawEmail",
}

// wantGrants is what each role must grant, exactly, for a stack with these parameters.
func wantGrants(t *testing.T, values map[string]string) map[string][]string {
	sharded := values["ShardCount"] != "" && values["ShardCount"] != "1"
	archive := "Bucket"
	if d := values["ArchiveObjectLockDays"]; d != "" && d != "0" {
		archive = "ArchiveBucket"
	}
	u := uses(archive)
	collector := collectGrants(t)
	report := append(slices.Clone(u["state"].grants), u["archive"].grants...)
	for _, op := range auditmanager.Operations {
		report = append(report, op+" *")
	}
	if sharded {
		collector = append(collector, u["shardUpload"].grants...)
		report = append(report, u["shardRead"].grants...)
	} else {
		collector = append(collector, u["state"].grants...)
	}
	if values["EmailTo"] != "" && values["EmailTransport"] != "smtp" {
		report = append(report, u["email"].grants...)
		report = append(report, strings.Replace(u["email"].grants[0], "ses:SendEmail", "ses:SendRawEmail", 1))
		if cs := values["SesConfigurationSet"]; cs != "" {
			report = append(report, "ses:SendEmail arn:aws:ses:REGION:ACCOUNT_ID:configuration-set/"+cs,
				"ses:SendRawEmail arn:aws:ses:REGION:ACCOUNT_ID:configuration-set/"+cs)
		}
	}
	if values["KmsKeyArn"] != "" {
		collector = append(collector, "kms:GenerateDataKey "+kmsKey)
		if !sharded { // a shard only puts
			collector = append(collector, "kms:Decrypt "+kmsKey)
		}
		report = append(report, "kms:GenerateDataKey "+kmsKey, "kms:Decrypt "+kmsKey)
	}
	return map[string][]string{"TaskRole": collector, "ReportTaskRole": report}
}

// The stacks the roles are checked for: every combination that changes a role.
var scenarios = map[string]map[string]string{
	"defaults, no email":  {},
	"unsharded, SES, KMS": {"KmsKeyArn": kmsKey, "EmailTo": "a@example.com", "EmailFrom": emailFrom, "SesIdentity": sesID},
	"sharded, SES with a configuration set, object lock": {"ShardCount": "3", "CollectMode": "accounts",
		"EmailTo": "a@example.com", "EmailFrom": emailFrom, "SesIdentity": sesID, "SesConfigurationSet": "reports", "ArchiveObjectLockDays": "30"},
	"sharded, KMS, SMTP": {"ShardCount": "4", "CollectMode": "accounts", "KmsKeyArn": kmsKey,
		"EmailTo": "a@example.com", "EmailFrom": emailFrom, "EmailTransport": "smtp", "SmtpHost": "smtp.example.com"},
}

// withOrg adds the parameters that have no default.
func withOrg(values map[string]string) map[string]string {
	v := map[string]string{"OrganizationId": orgID, "Organization": "Example Corp", "ImageUri": "IMAGE"}
	maps.Copy(v, values)
	return v
}

func TestTaskRolesGrantExactlyWhatTheirTasksCall(t *testing.T) {
	// Every action the code calls is assigned to a use above, so a new one fails here until
	// some role is given it.
	assigned := map[string]bool{}
	for _, u := range uses("Bucket") {
		for _, g := range u.grants {
			assigned[strings.Fields(g)[0]] = true
		}
	}
	for _, op := range deliver.Operations {
		if !assigned[op] {
			t.Errorf("deliver.Operations has %s, which no use in roles_test.go grants", op)
		}
	}
	for a := range assigned {
		if !slices.Contains(deliver.Operations, a) {
			t.Errorf("roles_test.go grants %s, which deliver.Operations does not list", a)
		}
	}

	// Any other action granted must be one AWS checks on the code's behalf, with its reason.
	called := map[string]bool{}
	for _, ops := range [][]string{collect.Operations, deliver.Operations, auditmanager.Operations} {
		for _, op := range ops {
			called[op] = true
		}
	}

	for name, values := range scenarios {
		t.Run(name, func(t *testing.T) {
			values := withOrg(values)
			s := evalTemplate(t, "reporter.cfn.yaml", values)
			want := wantGrants(t, values)
			for _, grants := range want {
				for _, g := range grants {
					if a := strings.Fields(g)[0]; !called[a] && extras[a] == "" {
						t.Errorf("%s is neither called by the code nor an extra with a reason", a)
					}
				}
			}
			for role, w := range want {
				var got []string
				sids := map[string]bool{}
				for _, st := range s.roleStatements(t, role) {
					got = append(got, st.grants()...)
					if st.Sid == "" || sids[st.Sid] {
						t.Errorf("%s: statement %v has no Sid or a repeated one", role, st)
					}
					sids[st.Sid] = true
					for _, a := range st.Action {
						if strings.Contains(a, "*") {
							t.Errorf("%s %s: wildcard action %s", role, st.Sid, a)
						}
					}
				}
				slices.Sort(got)
				w = slices.Compact(slices.Sorted(slices.Values(w)))
				for _, g := range w {
					if _, found := slices.BinarySearch(got, g); !found {
						t.Errorf("%s lacks %s", role, g)
					}
				}
				for _, g := range got {
					if _, found := slices.BinarySearch(w, g); !found {
						t.Errorf("%s grants %s, which its task's code does not call", role, g)
					}
				}
			}
		})
	}
}

// Neither role gets the other's: spelled out, beside the exact comparison above, because it is
// the point of having two.
func TestTaskRolesAreSeparate(t *testing.T) {
	s := evalTemplate(t, "reporter.cfn.yaml", withOrg(scenarios["sharded, SES with a configuration set, object lock"]))
	for role, forbidden := range map[string][]string{
		"ReportTaskRole": collect.Operations,
		"TaskRole":       append(slices.Clone(auditmanager.Operations), "ses:SendEmail", "ses:SendRawEmail"),
	} {
		for _, st := range s.roleStatements(t, role) {
			for _, a := range st.Action {
				if slices.Contains(forbidden, a) {
					t.Errorf("%s grants %s, which only the other task needs", role, a)
				}
			}
			for _, r := range st.Resource {
				if role == "TaskRole" && strings.Contains(r, "/reports/") {
					t.Errorf("the collector's role reaches the report archive: %v", st)
				}
				if role == "ReportTaskRole" && strings.Contains(r, "/shards/") && slices.Contains(st.Action, "s3:PutObject") {
					t.Errorf("the report task's role may write shard exports: %v", st)
				}
			}
		}
	}
	res := get(s.root, "Resources")
	for td, role := range map[string]string{"CollectorTaskDefinition": "TaskRole", "TaskDefinition": "ReportTaskRole"} {
		if arg, ok := intrinsic(path(res, td, "Properties", "TaskRoleArn"), "GetAtt"); !ok || strings.Join(scalars(arg), ".") != role+".Arn" {
			t.Errorf("%s does not run as %s", td, role)
		}
	}
	if arg, ok := intrinsic(path(res, "TaskRole", "Properties", "RoleName"), "Ref"); !ok || arg.Value != "TaskRoleName" {
		t.Errorf("TaskRole's RoleName should be !Ref TaskRoleName (member-role.cfn.yaml trusts the collector by name)")
	}
	// The daily collection runs as the collector; the report as the report task.
	for sched, td := range map[string]string{"CollectScheduleResource": "CollectorTaskDefinition", "ReportScheduleResource": "TaskDefinition"} {
		for _, target := range branches(path(res, sched, "Properties", "Target")) {
			if ecs := get(target, "EcsParameters"); ecs != nil {
				if arg, ok := intrinsic(get(ecs, "TaskDefinitionArn"), "Ref"); !ok || arg.Value != td {
					t.Errorf("%s runs %v, want %s", sched, nodeText(get(ecs, "TaskDefinitionArn")), td)
				}
			}
		}
	}
	// The collector never sees the SMTP password or the delivery settings.
	c := get(path(res, "CollectorTaskDefinition", "Properties", "ContainerDefinitions").Content[0], "Environment")
	if get(path(res, "CollectorTaskDefinition", "Properties", "ContainerDefinitions").Content[0], "Secrets") != nil ||
		strings.Contains(nodeText(c), "REPORTER_DELIVER_EMAIL") {
		t.Errorf("the collector's container gets the email settings or the SMTP secret")
	}
	// Whoever starts the tasks may pass both roles and run both families; the alerts cover both.
	for _, r := range []string{"SchedulerRole", "CollectStateMachineRole", "PartialSnapshotRule", "FailedRunRule"} {
		text := nodeText(get(res, r))
		for _, want := range []string{"task-definition/${AWS::StackName}:", "task-definition/${AWS::StackName}-collector:"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not name %s", r, want)
			}
		}
		if strings.HasSuffix(r, "Role") && !(strings.Contains(text, "TaskRole.Arn") && strings.Contains(text, "ReportTaskRole.Arn")) {
			t.Errorf("%s cannot pass both task roles", r)
		}
	}
}

// The collector's container settings are the report task's, bar delivery: the same state file,
// shards prefix, mode and member role.
func TestTaskDefinitionsAgree(t *testing.T) {
	s := evalTemplate(t, "reporter.cfn.yaml", withOrg(scenarios["sharded, KMS, SMTP"]))
	env := func(td string) map[string]string {
		m := map[string]string{}
		c := s.resolve(t, get(path(get(s.root, "Resources"), td, "Properties", "ContainerDefinitions").Content[0], "Environment"))
		for _, e := range c.Content {
			m[get(e, "Name").Value] = s.str(t, get(e, "Value"))
		}
		return m
	}
	collector, report := env("CollectorTaskDefinition"), env("TaskDefinition")
	for k, v := range collector {
		if report[k] != v {
			t.Errorf("%s: the collector has %q, the report task %q", k, v, report[k])
		}
	}
	for _, k := range []string{"REPORTER_STORE_S3_STATE_KEY", "REPORTER_DELIVER_ARCHIVE_S3_KMS_KEY_ID", "REPORTER_COLLECT_AWS_ROLE_NAME"} {
		if collector[k] == "" {
			t.Errorf("the collector does not set %s", k)
		}
	}
	if collector["REPORTER_STORE_S3_STATE_KEY"] != stateKey {
		t.Errorf("state key %q; the roles grant %s", collector["REPORTER_STORE_S3_STATE_KEY"], stateKey)
	}
}

func TestPolicyFilesMatchTemplate(t *testing.T) {
	// The files are the roles of a stack with ShardCount 1, SES and a KMS key, placeholders for
	// the rest (ORG_ID, SES_IDENTITY, EMAIL_FROM, BUCKET, REGION, ACCOUNT_ID, KEY_ID).
	s := evalTemplate(t, "reporter.cfn.yaml", withOrg(map[string]string{"OrganizationId": "ORG_ID", "KmsKeyArn": kmsKey,
		"EmailTo": "a@example.com", "EmailFrom": "EMAIL_FROM", "SesIdentity": "SES_IDENTITY"}))
	for file, role := range map[string]string{"collector-task-policy.json": "TaskRole", "report-task-policy.json": "ReportTaskRole"} {
		got, want := canonical(readPolicyFile(t, file)), canonical(s.roleStatements(t, role))
		if !slices.Equal(got, want) {
			t.Errorf("%s differs from %s in reporter.cfn.yaml:\nfile:\n  %s\ntemplate:\n  %s", file, role,
				strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
}

func TestOrganizationConditions(t *testing.T) {
	for _, file := range []string{"reporter.cfn.yaml", "member-role.cfn.yaml"} {
		root := readTemplate(t, file)
		if path(root, "Parameters", "OrganizationId", "Default") != nil {
			t.Errorf("%s: OrganizationId has a default; it must be given", file)
		}
		for v, ok := range map[string]bool{orgID: true, "o-abcdefghij0123456789abcdefghij01": true,
			"": false, "o-short": false, "O-A1B2C3D4E5": false, "r-a1b2c3d4e5": false, "o-a1b2c3d4e5 ": false} {
			if allowedPattern(t, root, "OrganizationId", v) != ok {
				t.Errorf("%s: OrganizationId %q accepted: %v, want %v", file, v, !ok, ok)
			}
		}
	}

	// The collector assumes member roles only in accounts of the organization.
	s := evalTemplate(t, "reporter.cfn.yaml", withOrg(nil))
	assumes := 0
	for _, st := range s.roleStatements(t, "TaskRole") {
		if slices.Contains(st.Action, "sts:AssumeRole") {
			assumes++
			if got := st.Condition["StringEquals"]["aws:ResourceOrgID"]; !slices.Equal(got, []string{orgID}) {
				t.Errorf("TaskRole's %s: aws:ResourceOrgID %v, want %s", st.Sid, got, orgID)
			}
		}
	}
	if assumes != 1 {
		t.Errorf("TaskRole has %d sts:AssumeRole statements, want 1", assumes)
	}

	// The member role trusts only the collector's role, and only inside the organization.
	m := evalTemplate(t, "member-role.cfn.yaml", map[string]string{"OrganizationId": orgID, "SecurityAccountId": "111122223333"})
	trust := m.resolve(t, path(get(m.root, "Resources"), "ReaderRole", "Properties", "AssumeRolePolicyDocument"))
	sts := m.statements(t, trust)
	if len(sts) == 0 {
		t.Fatalf("member-role.cfn.yaml: no trust statements")
	}
	for _, n := range get(trust, "Statement").Content {
		cond := mapping(get(n, "Condition"))
		org := get(cond["StringEquals"], "aws:PrincipalOrgID")
		if org == nil || m.str(t, org) != orgID {
			t.Errorf("member-role.cfn.yaml: a trust statement without aws:PrincipalOrgID = OrganizationId: %s", nodeText(n))
		}
		arn := get(cond["ArnEquals"], "aws:PrincipalArn")
		if arn == nil || m.str(t, arn) != "arn:aws:iam::111122223333:role/hubreport-task" {
			t.Errorf("member-role.cfn.yaml: a trust statement not narrowed to the collector's role: %s", nodeText(n))
		}
	}
}

func TestSESScopedToTheIdentity(t *testing.T) {
	root := readTemplate(t, "reporter.cfn.yaml")
	for v, ok := range map[string]bool{"": true, emailFrom: true, "Reports <reports@example.com>": false, "a@b,c@d": false} {
		if allowedPattern(t, root, "EmailFrom", v) != ok {
			t.Errorf("EmailFrom %q accepted: %v, want %v", v, !ok, ok)
		}
	}
	for v, ok := range map[string]bool{sesID: true, emailFrom: true, "*": false, "*.example.com": false, "a,b": false} {
		if allowedPattern(t, root, "SesIdentity", v) != ok {
			t.Errorf("SesIdentity %q accepted: %v, want %v", v, !ok, ok)
		}
	}
	// Deploying with recipients over SES and no identity is refused (a Rules assertion).
	rule := nodeText(path(root, "Rules", "SesSenderNamed"))
	for _, want := range []string{"EmailTo", "EmailTransport", "ses", "SesIdentity", "EmailFrom"} {
		if !strings.Contains(rule, want) {
			t.Errorf("rule SesSenderNamed does not test %s: %s", want, rule)
		}
	}

	for name, values := range scenarios {
		t.Run(name, func(t *testing.T) {
			values := withOrg(values)
			s := evalTemplate(t, "reporter.cfn.yaml", values)
			sends := 0
			for _, role := range []string{"TaskRole", "ReportTaskRole"} {
				for _, st := range s.roleStatements(t, role) {
					if !slices.ContainsFunc(st.Action, func(a string) bool { return strings.HasPrefix(a, "ses:") }) {
						continue
					}
					sends++
					for _, r := range st.Resource {
						if strings.Contains(r, "*") {
							t.Errorf("%s %s: SES resource %s", role, st.Sid, r)
						}
					}
					if got := st.Condition["StringEquals"]["ses:FromAddress"]; !slices.Equal(got, []string{emailFrom}) {
						t.Errorf("%s %s: ses:FromAddress %v, want %s", role, st.Sid, got, emailFrom)
					}
				}
			}
			if want := values["EmailTo"] != "" && values["EmailTransport"] != "smtp"; (sends == 1) != want {
				t.Errorf("%d SES statements; sends through SES: %v", sends, want)
			}
		})
	}
}

func TestArchiveObjectLock(t *testing.T) {
	root := readTemplate(t, "reporter.cfn.yaml")
	for v, ok := range map[string]bool{"": true, "0": true, "1": true, "30": true, "36500": true, "-1": false, "030": false, "x": false} {
		if allowedPattern(t, root, "ArchiveObjectLockDays", v) != ok {
			t.Errorf("ArchiveObjectLockDays %q accepted: %v, want %v", v, !ok, ok)
		}
	}
	for _, days := range []string{"", "0", "30"} {
		s := evalTemplate(t, "reporter.cfn.yaml", withOrg(map[string]string{"ArchiveObjectLockDays": days}))
		res := get(s.root, "Resources")
		locked := days == "30"
		if s.conds["HasObjectLock"] != locked {
			t.Errorf("days %q: condition HasObjectLock %v", days, s.conds["HasObjectLock"])
		}
		for _, r := range []string{"ArchiveBucket", "ArchiveBucketPolicy"} {
			if c := path(res, r, "Condition"); c == nil || c.Value != "HasObjectLock" {
				t.Errorf("%s is not created under Condition HasObjectLock", r)
			}
		}
		if path(res, "Bucket", "Properties", "ObjectLockEnabled") != nil {
			t.Errorf("the state bucket has Object Lock; the state file is replaced daily")
		}
		var archiveEnv string
		for _, e := range s.resolve(t, get(path(res, "TaskDefinition", "Properties", "ContainerDefinitions").Content[0], "Environment")).Content {
			if get(e, "Name").Value == "REPORTER_DELIVER_ARCHIVE_S3_BUCKET" {
				archiveEnv = s.str(t, get(e, "Value"))
			}
		}
		if want := map[bool]string{true: "ARCHIVE_BUCKET", false: "BUCKET"}[locked]; archiveEnv != want {
			t.Errorf("days %q: reports archived in %q, want %s", days, archiveEnv, want)
		}
		if !locked {
			continue
		}
		props := s.resolve(t, path(res, "ArchiveBucket", "Properties"))
		if v := path(props, "VersioningConfiguration", "Status"); v == nil || v.Value != "Enabled" {
			t.Errorf("ArchiveBucket is not versioned (Object Lock needs it)")
		}
		if v := get(props, "ObjectLockEnabled"); v == nil || v.Value != "true" {
			t.Errorf("ArchiveBucket: ObjectLockEnabled is not true")
		}
		lock := get(props, "ObjectLockConfiguration")
		retention := path(lock, "Rule", "DefaultRetention")
		if v := get(lock, "ObjectLockEnabled"); v == nil || v.Value != "Enabled" {
			t.Errorf("ArchiveBucket: ObjectLockConfiguration.ObjectLockEnabled is not Enabled")
		}
		if m := get(retention, "Mode"); m == nil || m.Value != "GOVERNANCE" {
			t.Errorf("ArchiveBucket: retention mode is not GOVERNANCE")
		}
		if d := get(retention, "Days"); d == nil || s.str(t, d) != days || get(retention, "Years") != nil {
			t.Errorf("ArchiveBucket: retention is not ArchiveObjectLockDays days")
		}
		if path(root, "Outputs", "ArchiveBucketName", "Condition").Value != "HasObjectLock" {
			t.Errorf("output ArchiveBucketName is not under HasObjectLock")
		}
	}
}
