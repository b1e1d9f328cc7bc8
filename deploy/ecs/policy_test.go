// Package ecs holds the ECS deployment (Dockerfile, CloudFormation templates, the task roles' IAM
// policies); its tests keep them consistent with the code: each task role grants exactly the IAM
// actions its task's code calls (roles_test.go), the templates reference only what they define,
// and the image is one DuckDB (cgo, glibc, libstdc++) runs on, as a non-root user.
package ecs

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hubreport/hubreport/internal/config"
)

// --- CloudFormation templates, read as yaml.Node trees (short-form tags such as !Ref are kept as
// node tags). ---

func readTemplate(t *testing.T, name string) *yaml.Node {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: not a YAML mapping", name)
	}
	root := doc.Content[0]
	if res := get(root, "Resources"); res == nil || res.Kind != yaml.MappingNode || len(res.Content) == 0 {
		t.Fatalf("%s: no Resources", name)
	}
	return root
}

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// path follows keys from n.
func path(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = get(n, k)
	}
	return n
}

// keys lists the keys of mapping n.
func keys(n *yaml.Node) []string {
	var ks []string
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			ks = append(ks, n.Content[i].Value)
		}
	}
	return ks
}

// intrinsic reports whether n is the intrinsic function fn (short form !Fn or long form
// {"Fn::Fn": ...} / {"Ref": ...}) and returns its argument.
func intrinsic(n *yaml.Node, fn string) (*yaml.Node, bool) {
	if n == nil {
		return nil, false
	}
	long := "Fn::" + fn
	if fn == "Ref" {
		long = "Ref"
	}
	if n.Tag == "!"+fn {
		arg := *n
		arg.Tag = "" // the node itself, without the tag, is the argument
		switch arg.Kind {
		case yaml.ScalarNode:
			arg.Tag = "!!str"
		case yaml.SequenceNode:
			arg.Tag = "!!seq"
		case yaml.MappingNode:
			arg.Tag = "!!map"
		}
		return &arg, true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Content[0].Value == long {
		return n.Content[1], true
	}
	return nil, false
}

// isNoValue reports whether n is Ref AWS::NoValue.
func isNoValue(n *yaml.Node) bool {
	arg, ok := intrinsic(n, "Ref")
	return ok && arg.Value == "AWS::NoValue"
}

// branches expands Fn::If into both of its values (either may be taken), dropping AWS::NoValue.
func branches(n *yaml.Node) []*yaml.Node {
	if isNoValue(n) {
		return nil
	}
	if arg, ok := intrinsic(n, "If"); ok && arg.Kind == yaml.SequenceNode && len(arg.Content) == 3 {
		return append(branches(arg.Content[1]), branches(arg.Content[2])...)
	}
	return []*yaml.Node{n}
}

// scalars returns a scalar or a list of scalars (Action: x or Action: [x, y]).
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, scalars(c)...)
	}
	return out
}

// statements returns the statements of a policy document node, expanding Fn::If.
func statements(doc *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for _, sts := range branches(get(doc, "Statement")) {
		if sts.Kind == yaml.MappingNode {
			out = append(out, sts)
			continue
		}
		for _, st := range sts.Content {
			out = append(out, branches(st)...)
		}
	}
	return out
}

// roleActions returns the Allow actions of a role's inline policies, by statement Sid, and fails
// on managed policies (whose actions the test cannot see).
func roleActions(t *testing.T, file string, role *yaml.Node) map[string][]string {
	t.Helper()
	props := get(role, "Properties")
	if get(props, "ManagedPolicyArns") != nil {
		t.Errorf("%s: the role has managed policies; its permissions must be inline", file)
	}
	bySid := map[string][]string{}
	for _, ps := range branches(get(props, "Policies")) {
		for _, p := range ps.Content {
			for _, pol := range branches(p) {
				for _, st := range statements(get(pol, "PolicyDocument")) {
					if e := get(st, "Effect"); e == nil || e.Value != "Allow" || get(st, "NotAction") != nil {
						t.Errorf("%s: statement %v is not a plain Allow", file, keys(st))
					}
					sid := ""
					if s := get(st, "Sid"); s != nil {
						sid = s.Value
					}
					bySid[sid] = append(bySid[sid], scalars(get(st, "Action"))...)
				}
			}
		}
	}
	return bySid
}

// memberActions are all a member account's role grants: the findings and the control
// associations, both read-only.
var memberActions = []string{"securityhub:GetFindings", "securityhub:BatchGetStandardsControlAssociations"}

func TestMemberRoleGrantsOnlyGetFindings(t *testing.T) {
	const file = "member-role.cfn.yaml"
	root := readTemplate(t, file)
	res := get(root, "Resources")
	roles := 0
	for i := 0; i+1 < len(res.Content); i += 2 {
		name, r := res.Content[i].Value, res.Content[i+1]
		switch typ := get(r, "Type").Value; typ {
		case "AWS::IAM::Role":
			roles++
			for sid, actions := range roleActions(t, file, r) {
				if !slices.Equal(actions, memberActions) {
					t.Errorf("%s: %s statement %q grants %v, want only %v", file, name, sid, actions, memberActions)
				}
			}
			trust := get(get(r, "Properties"), "AssumeRolePolicyDocument")
			for _, st := range statements(trust) {
				if a := scalars(get(st, "Action")); !slices.Equal(a, []string{"sts:AssumeRole"}) {
					t.Errorf("%s: %s trust statement allows %v, want sts:AssumeRole", file, name, a)
				}
				text := nodeText(st)
				for _, p := range []string{"SecurityAccountId", "TaskRoleName"} {
					if !strings.Contains(text, "${"+p+"}") {
						t.Errorf("%s: %s's trust policy does not name ${%s}", file, name, p)
					}
				}
			}
		case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User", "AWS::IAM::Group":
			t.Errorf("%s: %s is a %s; the member side is one role", file, name, typ)
		}
	}
	if roles != 1 {
		t.Errorf("%s: %d roles, want 1", file, roles)
	}
	if path(root, "Outputs", "RoleArn") == nil {
		t.Errorf("%s: no RoleArn output", file)
	}
	// The default role name is the reporter's default collect.aws.role_name and what
	// collector-task-policy.json lets the collector's task role assume.
	if d := path(root, "Parameters", "RoleName", "Default"); d == nil || d.Value != config.Default().Collect.AWS.RoleName {
		t.Errorf("%s: RoleName's default should be %s", file, config.Default().Collect.AWS.RoleName)
	}
	main := readTemplate(t, "reporter.cfn.yaml")
	for _, p := range []string{"TaskRoleName", "MemberRoleName"} {
		other := map[string]string{"TaskRoleName": "TaskRoleName", "MemberRoleName": "RoleName"}[p]
		a, b := path(main, "Parameters", p, "Default"), path(root, "Parameters", other, "Default")
		if a == nil || b == nil || a.Value != b.Value {
			t.Errorf("reporter.cfn.yaml %s and %s %s should default to the same name", p, file, other)
		}
	}
}

// nodeText flattens the scalars of a tree, for loose checks.
func nodeText(n *yaml.Node) string {
	var b strings.Builder
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		b.WriteString(n.Value + " ")
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

var pseudoParameters = map[string]bool{
	"AWS::AccountId": true, "AWS::NotificationARNs": true, "AWS::NoValue": true, "AWS::Partition": true,
	"AWS::Region": true, "AWS::StackId": true, "AWS::StackName": true, "AWS::URLSuffix": true,
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func TestTemplateReferencesResolve(t *testing.T) {
	for _, file := range []string{"reporter.cfn.yaml", "member-role.cfn.yaml"} {
		t.Run(file, func(t *testing.T) {
			root := readTemplate(t, file)
			params, resources, conds := map[string]bool{}, map[string]bool{}, map[string]bool{}
			for _, k := range keys(get(root, "Parameters")) {
				params[k] = true
			}
			for _, k := range keys(get(root, "Resources")) {
				resources[k] = true
			}
			for _, k := range keys(get(root, "Conditions")) {
				conds[k] = true
			}
			for name, r := range mapping(get(root, "Resources")) {
				if get(r, "Type") == nil || get(r, "Type").Value == "" {
					t.Errorf("resource %s has no Type", name)
				}
				if c := get(r, "Condition"); c != nil && !conds[c.Value] {
					t.Errorf("resource %s: Condition %s is not defined", name, c.Value)
				}
			}
			refs := 0
			var walk func(n *yaml.Node)
			walk = func(n *yaml.Node) {
				if n == nil {
					return
				}
				if arg, ok := intrinsic(n, "Ref"); ok {
					refs++
					if v := arg.Value; !params[v] && !resources[v] && !pseudoParameters[v] {
						t.Errorf("line %d: Ref %q names no parameter, resource or pseudo parameter", n.Line, v)
					}
					return
				}
				if arg, ok := intrinsic(n, "GetAtt"); ok {
					target := strings.SplitN(strings.Join(scalars(arg), "."), ".", 2)[0]
					if !resources[target] {
						t.Errorf("line %d: GetAtt %q names no resource", n.Line, target)
					}
					return
				}
				if arg, ok := intrinsic(n, "If"); ok {
					if len(arg.Content) != 3 || !conds[arg.Content[0].Value] {
						t.Errorf("line %d: Fn::If needs a defined condition and two values", n.Line)
					}
					for _, c := range arg.Content[1:] {
						walk(c)
					}
					return
				}
				if arg, ok := intrinsic(n, "Condition"); ok && arg.Kind == yaml.ScalarNode {
					if !conds[arg.Value] {
						t.Errorf("line %d: Condition %q is not defined", n.Line, arg.Value)
					}
					return
				}
				if arg, ok := intrinsic(n, "Sub"); ok {
					str, vars := arg, map[string]bool{}
					if arg.Kind == yaml.SequenceNode && len(arg.Content) == 2 {
						str = arg.Content[0]
						for k, v := range mapping(arg.Content[1]) {
							vars[k] = true
							walk(v)
						}
					}
					for _, m := range subVar.FindAllStringSubmatch(str.Value, -1) {
						v := m[1]
						if strings.HasPrefix(v, "!") {
							continue // ${!Literal}
						}
						base := strings.SplitN(v, ".", 2)[0]
						if !params[v] && !pseudoParameters[v] && !resources[base] && !vars[v] {
							t.Errorf("line %d: Sub variable ${%s} names nothing", str.Line, v)
						}
						refs++
					}
					return
				}
				for _, c := range n.Content {
					walk(c)
				}
			}
			for _, section := range []string{"Conditions", "Resources", "Outputs"} {
				walk(get(root, section))
			}
			if refs == 0 {
				t.Errorf("found no references at all; is the walk broken?")
			}
		})
	}
}

// mapping returns a mapping node's entries.
func mapping(n *yaml.Node) map[string]*yaml.Node {
	m := map[string]*yaml.Node{}
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = n.Content[i+1]
		}
	}
	return m
}

func TestTemplateTaskAndSchedules(t *testing.T) {
	const file = "reporter.cfn.yaml"
	root := readTemplate(t, file)
	res := get(root, "Resources")

	td := path(res, "TaskDefinition", "Properties")
	if td == nil {
		t.Fatalf("%s: no TaskDefinition", file)
	}
	containers := get(td, "ContainerDefinitions")
	if containers == nil || len(containers.Content) != 1 {
		t.Fatalf("%s: want one container definition", file)
	}
	container := containers.Content[0]
	name := get(container, "Name").Value

	// Every REPORTER_ variable names a configuration key (the reporter ignores unknown ones, so
	// a typo would silently fall back to the default).
	known := map[string]bool{"REPORTER_DB": true}
	for _, k := range config.Keys() {
		known["REPORTER_"+strings.ToUpper(strings.ReplaceAll(k, ".", "_"))] = true
	}
	env := map[string]bool{}
	for _, e := range get(container, "Environment").Content {
		for _, v := range branches(e) {
			n := get(v, "Name").Value
			env[n] = true
			if strings.HasPrefix(n, "REPORTER_") && !known[n] {
				t.Errorf("%s: environment %s names no configuration key", file, n)
			}
		}
	}
	// The shard is set per task by the state machine; in the task definition it would make the
	// report and the merge tasks shards too.
	if env["REPORTER_COLLECT_AWS_SHARD"] {
		t.Errorf("%s: the task definition sets REPORTER_COLLECT_AWS_SHARD", file)
	}
	for _, n := range []string{"AWS_REGION", "LOG_LEVEL", "REPORTER_STORE_PATH", "REPORTER_STORE_S3_STATE_BUCKET",
		"REPORTER_STORE_S3_STATE_KEY", "REPORTER_COLLECT_AWS_MODE", "REPORTER_DELIVER_ARCHIVE_S3_BUCKET"} {
		if !env[n] {
			t.Errorf("%s: the container does not set %s", file, n)
		}
	}
	// The SMTP password only ever comes from Secrets Manager.
	if env["SMTP_PASSWORD"] || env["REPORTER_DELIVER_EMAIL_SMTP_PASSWORD_ENV"] {
		t.Errorf("%s: SMTP_PASSWORD must come from Secrets, not Environment", file)
	}
	if !strings.Contains(nodeText(get(container, "Secrets")), config.Default().Deliver.Email.SMTP.PasswordEnv) {
		t.Errorf("%s: no %s secret", file, config.Default().Deliver.Email.SMTP.PasswordEnv)
	}

	// Each schedule's target, or each branch of it: with ShardCount > 1 the collect schedule
	// starts the state machine instead (TestTemplateShardedCollection checks its tasks).
	commands := map[string]string{}
	machines := 0
	for rname, r := range mapping(res) {
		if get(r, "Type").Value != "AWS::Scheduler::Schedule" {
			continue
		}
		p := get(r, "Properties")
		if tz := get(p, "ScheduleExpressionTimezone"); tz == nil || tz.Value != "UTC" {
			t.Errorf("%s: %s is not in UTC", file, rname)
		}
		for _, target := range branches(get(p, "Target")) {
			if arg, ok := intrinsic(get(target, "Arn"), "Ref"); ok && arg.Value == "CollectStateMachine" {
				machines++
				continue
			}
			ecs := get(target, "EcsParameters")
			if lt := get(ecs, "LaunchType"); lt == nil || lt.Value != "FARGATE" {
				t.Errorf("%s: %s does not launch on FARGATE", file, rname)
			}
			if path(ecs, "NetworkConfiguration", "AwsvpcConfiguration", "Subnets") == nil {
				t.Errorf("%s: %s has no awsvpc subnets", file, rname)
			}
			var input struct {
				ContainerOverrides []struct {
					Name    string   `json:"name"`
					Command []string `json:"command"`
				} `json:"containerOverrides"`
			}
			in := get(target, "Input")
			if in == nil {
				t.Errorf("%s: %s has no Target.Input", file, rname)
				continue
			}
			if err := json.Unmarshal([]byte(in.Value), &input); err != nil || len(input.ContainerOverrides) != 1 {
				t.Errorf("%s: %s Target.Input %q: want one container override (%v)", file, rname, in.Value, err)
				continue
			}
			o := input.ContainerOverrides[0]
			if o.Name != name {
				t.Errorf("%s: %s overrides container %q; the task's is %q", file, rname, o.Name, name)
			}
			commands[strings.Join(o.Command, " ")] = rname
		}
	}
	if machines != 1 {
		t.Errorf("%s: %d schedule targets start the sharded collection's state machine, want 1", file, machines)
	}
	for _, want := range []string{"run --steps collect", "run --steps report,deliver"} {
		if commands[want] == "" {
			t.Errorf("%s: no schedule runs %q (have %v)", file, want, commands)
		}
	}
	if len(commands) != 2 {
		t.Errorf("%s: %d schedules, want 2", file, len(commands))
	}
	for _, o := range []string{"BucketName", "TaskDefinitionArn", "LogGroupName"} {
		if path(root, "Outputs", o) == nil {
			t.Errorf("%s: no %s output", file, o)
		}
	}
}

// --- Sharded collection (ShardCount > 1) ---

// definition returns the state machine's definition with ShardCount = shards and the other
// Fn::Sub variables replaced by their names.
func definition(t *testing.T, sm *yaml.Node, shards int) map[string]any {
	t.Helper()
	arg, ok := intrinsic(path(sm, "Properties", "DefinitionString"), "Sub")
	if !ok || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		t.Fatalf("CollectStateMachine: DefinitionString is not !Sub [definition, variables]")
	}
	text := subVar.ReplaceAllStringFunc(arg.Content[0].Value, func(v string) string {
		if v == "${ShardCount}" {
			return strconv.Itoa(shards)
		}
		return strings.Trim(v, "${}")
	})
	var def map[string]any
	if err := json.Unmarshal([]byte(text), &def); err != nil {
		t.Fatalf("CollectStateMachine: the definition is not JSON: %v\n%s", err, text)
	}
	return def
}

// ecsTask is a runTask.sync state of the definition.
type ecsTask struct {
	state     string
	taskDef   string // the TaskDefinition parameter, a Sub variable's name
	container string
	command   string
	env       map[string]string // name -> Value or Value.$
	catches   []string          // Next of each Catch
}

// ecsTasks finds the runTask.sync states at any depth (Map item processors included).
func ecsTasks(states map[string]any) []ecsTask {
	var out []ecsTask
	for name, v := range states {
		st, _ := v.(map[string]any)
		if proc, ok := st["ItemProcessor"].(map[string]any); ok {
			inner, _ := proc["States"].(map[string]any)
			out = append(out, ecsTasks(inner)...)
		}
		if res, _ := st["Resource"].(string); st["Type"] != "Task" || !strings.HasSuffix(res, ":states:::ecs:runTask.sync") {
			continue
		}
		task := ecsTask{state: name, env: map[string]string{}}
		params, _ := st["Parameters"].(map[string]any)
		task.taskDef, _ = params["TaskDefinition"].(string)
		overrides, _ := params["Overrides"].(map[string]any)
		cos, _ := overrides["ContainerOverrides"].([]any)
		if len(cos) == 1 {
			co, _ := cos[0].(map[string]any)
			task.container, _ = co["Name"].(string)
			cmd, _ := co["Command"].([]any)
			for _, c := range cmd {
				task.command += fmt.Sprint(c) + " "
			}
			task.command = strings.TrimSpace(task.command)
			envs, _ := co["Environment"].([]any)
			for _, e := range envs {
				kv, _ := e.(map[string]any)
				value := kv["Value"]
				if value == nil {
					value = kv["Value.$"]
				}
				task.env[fmt.Sprint(kv["Name"])] = fmt.Sprint(value)
			}
		}
		catches, _ := st["Catch"].([]any)
		for _, c := range catches {
			task.catches = append(task.catches, fmt.Sprint(c.(map[string]any)["Next"]))
		}
		out = append(out, task)
	}
	return out
}

func TestTemplateShardedCollection(t *testing.T) {
	const file = "reporter.cfn.yaml"
	root := readTemplate(t, file)
	res := get(root, "Resources")

	// Conditions: the sharded resources exist only with ShardCount > 1, and the collect schedule
	// starts the state machine then, a task otherwise.
	cond, ok := intrinsic(path(root, "Conditions", "Sharded"), "Not")
	eq, _ := intrinsic(func() *yaml.Node {
		if ok && len(cond.Content) == 1 {
			return cond.Content[0]
		}
		return nil
	}(), "Equals")
	if eq == nil || len(eq.Content) != 2 || eq.Content[1].Value != "1" {
		t.Fatalf("%s: condition Sharded should be !Not [!Equals [!Ref ShardCount, 1]]", file)
	}
	if arg, ok := intrinsic(eq.Content[0], "Ref"); !ok || arg.Value != "ShardCount" {
		t.Errorf("%s: condition Sharded does not test ShardCount", file)
	}
	for _, r := range []string{"CollectStateMachine", "CollectStateMachineRole", "ShardedCollectionFailedRule"} {
		if c := path(res, r, "Condition"); c == nil || c.Value != "Sharded" {
			t.Errorf("%s: %s is not created under Condition Sharded", file, r)
		}
	}
	if c := path(root, "Outputs", "CollectStateMachineArn", "Condition"); c == nil || c.Value != "Sharded" {
		t.Errorf("%s: output CollectStateMachineArn is not under Condition Sharded", file)
	}
	target, ok := intrinsic(path(res, "CollectScheduleResource", "Properties", "Target"), "If")
	if !ok || len(target.Content) != 3 || target.Content[0].Value != "Sharded" {
		t.Fatalf("%s: CollectScheduleResource's Target should be !If [Sharded, state machine, task]", file)
	}
	if arg, ok := intrinsic(get(target.Content[1], "Arn"), "Ref"); !ok || arg.Value != "CollectStateMachine" {
		t.Errorf("%s: the sharded collect schedule does not start CollectStateMachine", file)
	}
	if in := path(res, "ReportScheduleResource", "Properties", "Target", "Input"); in == nil || !strings.Contains(in.Value, `"report,deliver"`) {
		t.Errorf("%s: the report schedule does not run report,deliver as a task whatever ShardCount", file)
	}

	// The definition: N shard tasks of the task definition, each with its i/N, then the merge.
	sm := get(res, "CollectStateMachine")
	const n = 3
	def := definition(t, sm, n)
	states, _ := def["States"].(map[string]any)
	first, _ := states[fmt.Sprint(def["StartAt"])].(map[string]any)
	params, _ := first["Parameters"].(map[string]any)
	if params["shards.$"] != "States.ArrayRange(1, 3, 1)" {
		t.Errorf("the first state makes the shard list %v, want States.ArrayRange(1, 3, 1)", params["shards.$"])
	}
	fanout, _ := states[fmt.Sprint(first["Next"])].(map[string]any)
	if fanout["Type"] != "Map" || fanout["ItemsPath"] != "$.shards" || fanout["MaxConcurrency"] != float64(n) || fanout["Next"] == nil {
		t.Errorf("the shards' Map state: %v", fanout)
	}
	container := get(path(res, "TaskDefinition", "Properties", "ContainerDefinitions").Content[0], "Name").Value
	known := map[string]bool{}
	for _, k := range config.Keys() {
		known["REPORTER_"+strings.ToUpper(strings.ReplaceAll(k, ".", "_"))] = true
	}
	if !known["REPORTER_COLLECT_AWS_SHARD"] {
		t.Errorf("config.Keys() has no collect.aws.shard (REPORTER_COLLECT_AWS_SHARD)")
	}
	byCommand := map[string]ecsTask{}
	for _, task := range ecsTasks(states) {
		byCommand[task.command] = task
		if task.container != container {
			t.Errorf("state %s overrides container %q; the task's is %q", task.state, task.container, container)
		}
		for name := range task.env {
			if !known[name] {
				t.Errorf("state %s sets %s, which names no configuration key", task.state, name)
			}
		}
	}
	shard, merge := byCommand["run --steps collect"], byCommand["run --steps merge"]
	if len(byCommand) != 2 || shard.state == "" || merge.state == "" {
		t.Fatalf("the state machine runs %v, want run --steps collect and run --steps merge", byCommand)
	}
	if got := shard.env["REPORTER_COLLECT_AWS_SHARD"]; got != "States.Format('{}/3', $.shard)" {
		t.Errorf("the shard task sets REPORTER_COLLECT_AWS_SHARD to %q, want i/N", got)
	}
	// One snapshot time for every shard of an execution, so they merge as one snapshot.
	if got := shard.env["REPORTER_COLLECT_AWS_SHARD_STARTED_AT"]; got != "$$.Execution.StartTime" {
		t.Errorf("the shard task sets REPORTER_COLLECT_AWS_SHARD_STARTED_AT to %q, want the execution's start time", got)
	}
	// Each with its own role: the shards the collector's, the merge the report task's.
	if shard.taskDef != "CollectorTaskDefinition" || merge.taskDef != "TaskDefinition" {
		t.Errorf("the shards run %q and the merge %q, want CollectorTaskDefinition and TaskDefinition", shard.taskDef, merge.taskDef)
	}
	if len(merge.env) != 0 {
		t.Errorf("the merge task sets %v; it must not be a shard", merge.env)
	}
	if fanout["Next"] != merge.state {
		t.Errorf("after the shards comes %v, want the merge (%s)", fanout["Next"], merge.state)
	}
	// The merge's exit code 3 (stored, partial) ends the execution well; anything else fails it.
	if len(merge.catches) != 1 || !strings.Contains(nodeText(get(sm, "Properties")), `"NumericEquals": 3`) {
		t.Errorf("the merge state does not tell exit code 3 from a failure")
	}

	// The state machine's role: what ecs:runTask.sync needs, on this family, cluster and roles.
	role := get(res, "CollectStateMachineRole")
	var got []string
	for _, actions := range roleActions(t, file, role) {
		got = append(got, actions...)
	}
	slices.Sort(got)
	want := []string{"ecs:DescribeTasks", "ecs:RunTask", "ecs:StopTask", "events:DescribeRule", "events:PutRule", "events:PutTargets", "iam:PassRole"}
	if !slices.Equal(got, want) {
		t.Errorf("CollectStateMachineRole grants %v, want %v", got, want)
	}
	roleText := nodeText(role)
	for _, s := range []string{"rule/StepFunctionsGetEventsForECSTaskRule", "task-definition/${AWS::StackName}:*", "task-definition/${AWS::StackName}-collector:*",
		"TaskExecutionRole", "TaskRole", "ReportTaskRole", "states.amazonaws.com"} {
		if !strings.Contains(roleText, s) {
			t.Errorf("CollectStateMachineRole does not name %s", s)
		}
	}
	if a, ok := intrinsic(path(sm, "Properties", "RoleArn"), "GetAtt"); !ok || strings.Join(scalars(a), ".") != "CollectStateMachineRole.Arn" {
		t.Errorf("CollectStateMachine does not run as CollectStateMachineRole")
	}
	// The scheduler may start it.
	started := false
	for _, st := range statements(get(path(res, "SchedulerRole", "Properties", "Policies").Content[0], "PolicyDocument")) {
		if arg, ok := intrinsic(get(st, "Resource"), "Ref"); ok && arg.Value == "CollectStateMachine" &&
			slices.Equal(scalars(get(st, "Action")), []string{"states:StartExecution"}) {
			started = true
		}
	}
	if !started {
		t.Errorf("SchedulerRole has no states:StartExecution on CollectStateMachine")
	}

	// A failed execution alerts, through the topic's policy.
	rule := path(res, "ShardedCollectionFailedRule", "Properties")
	pattern := nodeText(get(rule, "EventPattern"))
	for _, s := range []string{"aws.states", "Step Functions Execution Status Change", "FAILED", "TIMED_OUT", "ABORTED", "CollectStateMachine"} {
		if !strings.Contains(pattern, s) {
			t.Errorf("ShardedCollectionFailedRule's pattern lacks %s: %s", s, pattern)
		}
	}
	if arg, ok := intrinsic(get(get(rule, "Targets").Content[0], "Arn"), "Ref"); !ok || arg.Value != "AlertsTopic" {
		t.Errorf("ShardedCollectionFailedRule does not target AlertsTopic")
	}
	if !strings.Contains(nodeText(path(res, "AlertsTopicPolicy", "Properties", "PolicyDocument")), "ShardedCollectionFailedRule.Arn") {
		t.Errorf("AlertsTopicPolicy does not let ShardedCollectionFailedRule publish")
	}

	// One shards prefix: the reporter's default, the tasks' environment, the task roles' object
	// ARNs and the bucket's lifecycle rule.
	prefix := config.Default().Store.S3ShardsPrefix
	for _, td := range []string{"TaskDefinition", "CollectorTaskDefinition"} {
		envPrefix := ""
		for _, e := range get(path(res, td, "Properties", "ContainerDefinitions").Content[0], "Environment").Content {
			if get(e, "Name") != nil && get(e, "Name").Value == "REPORTER_STORE_S3_SHARDS_PREFIX" {
				envPrefix = get(e, "Value").Value
			}
		}
		if envPrefix != prefix {
			t.Errorf("%s sets REPORTER_STORE_S3_SHARDS_PREFIX %q, want %q", td, envPrefix, prefix)
		}
	}
	for _, role := range []string{"TaskRole", "ReportTaskRole"} {
		if !strings.Contains(nodeText(path(res, role, "Properties", "Policies")), "${Bucket.Arn}/"+prefix+"*") {
			t.Errorf("%s names no %s* objects", role, prefix)
		}
	}
	expires := false
	for _, r := range path(res, "Bucket", "Properties", "LifecycleConfiguration", "Rules").Content {
		if p := get(r, "Prefix"); p != nil && p.Value == prefix && get(r, "ExpirationInDays") != nil {
			expires = true
		}
	}
	if !expires {
		t.Errorf("no lifecycle rule expires the shard exports under %s", prefix)
	}
}

// --- Dockerfile ---

func TestDockerfileRuntime(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]string{}
	var stages [][]string // instructions of each stage, continuation lines joined
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			stages = append(stages, []string{line})
			continue
		case "ARG":
			if len(stages) == 0 {
				if k, v, ok := strings.Cut(rest, "="); ok {
					args[k] = strings.Trim(v, `"`)
				}
			}
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], line)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a runtime stage", len(stages))
	}
	image := func(from string) string {
		f := strings.Fields(from)
		img := f[1]
		if strings.HasPrefix(img, "--platform") && len(f) > 2 {
			img = f[2]
		}
		return regexp.MustCompile(`\$\{?(\w+)\}?`).ReplaceAllStringFunc(img, func(s string) string {
			return args[strings.Trim(s, "${}")]
		})
	}
	build, runtime := stages[0], stages[len(stages)-1]
	if img := image(build[0]); !strings.HasPrefix(img, "golang:1.26") || strings.Contains(img, "alpine") {
		t.Errorf("Dockerfile: build image %q, want golang:1.26 on Debian (glibc, gcc, g++)", img)
	}
	if !strings.Contains(strings.Join(build, "\n"), "CGO_ENABLED=1") {
		t.Errorf("Dockerfile: the build stage does not set CGO_ENABLED=1 (DuckDB needs cgo)")
	}

	// DuckDB's C++ library needs glibc and libstdc++: a Debian-based image, not Alpine (musl),
	// distroless/static (no libc) or scratch.
	img := image(runtime[0])
	glibc := false
	for _, p := range []string{"gcr.io/distroless/cc-debian", "gcr.io/distroless/base-debian", "debian:", "ubuntu:"} {
		glibc = glibc || strings.HasPrefix(img, p)
	}
	if !glibc || strings.Contains(img, "alpine") || strings.Contains(img, "static") || strings.Contains(img, "scratch") {
		t.Errorf("Dockerfile: runtime image %q is not glibc-based with libstdc++", img)
	}

	user := ""
	entry := ""
	for _, l := range runtime {
		instr, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(instr) {
		case "USER":
			user = strings.TrimSpace(rest)
		case "ENTRYPOINT":
			entry = rest
		}
	}
	if user == "" && !strings.HasSuffix(img, ":nonroot") {
		t.Errorf("Dockerfile: the runtime stage sets no USER")
	}
	if u, _, _ := strings.Cut(user, ":"); u == "root" || u == "0" {
		t.Errorf("Dockerfile: USER %s runs as root", user)
	}
	if !strings.Contains(entry, "/usr/local/bin/reporter") {
		t.Errorf("Dockerfile: ENTRYPOINT %s, want /usr/local/bin/reporter", entry)
	}
}
