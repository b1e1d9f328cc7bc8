package demo

import (
	"strconv"
	"strings"
)

// This file holds the vocabulary of the synthetic organization: business units, people, resource
// naming, the resource types Security Hub controls evaluate, CVEs and threat finding types. It is Go
// rather than configs/ data because it is not a product mapping: nothing outside the demo reads it,
// and the numbers in it are knobs of a simulation.

// businessUnit is a team that owns a prod/staging/dev account triple.
type businessUnit struct {
	name  string
	nouns []string // what its resources are called
	// quality shifts the unit's security maturity: payments lives under PCI scrutiny, ml moves fast.
	quality float64
	data    bool // holds customer data: more databases, Macie findings
	edge    bool // serves the web: more CloudFront, ALBs, WAF
}

var businessUnits = []businessUnit{
	{"payments", []string{"ledger", "settlement", "refunds", "payouts", "card-vault", "fraud-score", "reconciliation"}, 0.10, true, false},
	{"checkout", []string{"cart", "pricing", "orders", "tax", "promotions", "inventory"}, 0.04, true, true},
	{"identity", []string{"auth", "sessions", "directory", "tokens", "mfa", "consent"}, 0.06, true, false},
	{"platform", []string{"ci", "artifacts", "observability", "gateway", "mesh", "runners", "secrets"}, 0.02, false, false},
	{"data", []string{"ingest", "lake", "warehouse", "etl", "catalog", "cdc", "exports"}, -0.04, true, false},
	{"analytics", []string{"events", "reports", "dashboards", "clickstream", "attribution", "experiments"}, -0.05, true, false},
	{"web", []string{"storefront", "cms", "assets", "frontend", "seo", "images"}, -0.02, false, true},
	{"mobile", []string{"api", "push", "sync", "media", "feature-flags", "crash-reports"}, -0.03, false, true},
	{"search", []string{"indexer", "query", "ranking", "suggest", "crawler"}, 0.00, false, false},
	{"billing", []string{"invoices", "subscriptions", "dunning", "usage", "tax-docs"}, 0.07, true, false},
	{"notifications", []string{"email", "sms", "webhooks", "templates", "preferences"}, -0.02, false, false},
	{"ml", []string{"training", "features", "inference", "models", "labeling", "notebooks"}, -0.10, true, false},
	{"partners", []string{"portal", "edi", "sftp", "onboarding", "catalog-sync"}, -0.06, true, true},
	{"support", []string{"tickets", "chat", "kb", "call-recordings", "macros"}, -0.03, true, false},
	{"marketing", []string{"campaigns", "landing", "crm-sync", "newsletters", "assets"}, -0.08, true, true},
	{"logistics", []string{"shipments", "tracking", "warehouse", "routing", "labels"}, -0.01, false, false},
	{"hr-apps", []string{"payroll-export", "onboarding", "directory-sync", "benefits"}, 0.03, true, false},
	{"devtools", []string{"build-cache", "preview-envs", "docs", "bots", "load-tests"}, -0.07, false, false},
}

// foundationAccounts are the landing-zone accounts every organization has, in the order they are
// listed. The security tooling account is the Security Hub delegated administrator.
var foundationAccounts = []struct {
	name, ou, role string
	nouns          []string
}{
	{"management", "Root", "management", []string{"billing", "org", "sso", "cur"}},
	{"security-tooling", "Security", "security", []string{"securityhub", "guardduty", "remediation", "findings", "detective"}},
	{"log-archive", "Security", "log-archive", []string{"cloudtrail", "config", "vpc-flow", "alb-logs", "s3-access"}},
	{"audit", "Security", "audit", []string{"evidence", "readonly", "reports"}},
	{"shared-services", "Infrastructure", "shared-services", []string{"ci", "artifacts", "ami-factory", "dns", "directory"}},
	{"network", "Infrastructure", "network", []string{"transit", "egress", "inspection", "dns", "vpn"}},
	{"backup", "Infrastructure", "backup", []string{"vault", "restore-tests", "dr"}},
}

var firstNames = []string{
	"priya", "marcus", "elena", "tomasz", "aisha", "kenji", "sofia", "david", "fatima", "lucas",
	"mei", "oliver", "amara", "jonas", "ines", "rahul", "chloe", "mateo", "hannah", "yusuf",
	"grace", "diego", "nora", "samuel", "leila", "viktor", "zoe", "arjun",
}

var lastNames = []string{
	"patel", "johnson", "rossi", "nowak", "okafor", "tanaka", "garcia", "cohen", "haddad", "silva",
	"chen", "bennett", "mensah", "berg", "ferreira", "sharma", "martin", "lopez", "schmidt", "demir",
	"kim", "alvarez", "larsen", "adeyemi", "moradi", "petrov", "wright", "iyer",
}

var bucketPurposes = []string{
	"logs", "artifacts", "backups", "data", "static-assets", "terraform-state", "athena-results",
	"exports", "uploads", "config", "archive", "reports", "tmp", "models",
}

var iamRoleNames = []string{
	"OrganizationAccountAccessRole", "AWSControlTowerExecution", "sso:AdministratorAccess",
	"sso:ReadOnlyAccess", "github-actions-deploy", "terraform-execution", "@-lambda-exec",
	"@-ecs-task", "sso:PowerUserAccess", "datadog-integration", "@-eks-node", "hubreport-reader",
	"rds-monitoring-role", "backup-service-role", "cloudhealth-readonly", "vendor-snowflake-access",
	"@-batch-job", "legacy-jenkins",
}

var iamUserNames = []string{
	"svc-@-ci", "jenkins", "legacy-backup", "smtp-ses", "terraform-bootstrap", "vendor-tableau",
	"cloudflare-logpush", "s3-uploader", "breakglass-admin", "svc-@-reporting", "datadog-legacy",
	"pagerduty-integration",
}

var iamPolicyNames = []string{
	"@-s3-access", "ci-deploy", "AllowAssumeDeployRole", "LegacyFullAccess", "@-kms-decrypt",
	"ecr-push", "secrets-read", "cloudwatch-agent", "eks-cluster-autoscaler", "ReadOnlyBilling",
	"@-dynamodb-rw", "vendor-access",
}

var iamGroupNames = []string{"admins", "developers", "readonly", "billing", "oncall", "data-analysts"}

// kind groups resource types so account roles and business units can scale them together.
type kind uint8

const (
	kindCompute kind = iota
	kindData
	kindStorage
	kindNetwork
	kindIdentity
	kindSecurity
	kindEdge
	kindApp
	kindLogging
	kindDevtools
	kindBackup
	kindOther
)

// resType describes how common a resource type is and how its identifier looks. Counts are per
// account and region: base is the mean in the primary region of a prod workload account that uses
// the service at all, presence the share of accounts that do.
type resType struct {
	asff     string
	kind     kind
	global   bool // lives in the home region only (IAM, CloudFront, Route 53)
	base     float64
	presence float64
	every    int // always present in every region of every account (default VPC, its security group)
	arn      func(n *namer) string
}

// namer builds identifiers for one resource slot.
type namer struct {
	account, region string
	stem            string // "payments-prod"
	bu, env         string
	nouns           []string
	slot            int
	offset          int // per account, region and type
	key             uint64
}

func (n *namer) hex(i, length int) string { return hexString(hash2(n.key, uint64(i)), length) }

// pick chooses the slot's entry of a list: distinct for the first len(list) slots of a type in an
// account and region, and starting at a different entry in each.
func (n *namer) pick(list []string) string {
	s := list[(n.offset+n.slot)%len(list)]
	if n.slot >= len(list) {
		s += "-" + strconv.Itoa(n.slot/len(list)+1)
	}
	return s
}

func (n *namer) noun() string { return n.pick(n.nouns) }

// name is the common "<bu>-<env>-<noun>" resource name.
func (n *namer) name(suffix string) string {
	s := n.stem + "-" + n.noun()
	if suffix != "" {
		s += "-" + suffix
	}
	return s
}

func (n *namer) regional(service, resource string) string {
	return "arn:aws:" + service + ":" + n.region + ":" + n.account + ":" + resource
}

func (n *namer) ec2(prefix, resource string) string {
	return n.regional("ec2", resource+"/"+prefix+"-0"+n.hex(1, 16))
}

func (n *namer) uuid() string { return uuidString(hash2(n.key, 11), hash2(n.key, 12)) }

// personalize replaces "@" in a name pattern with the resource's stem.
func (n *namer) personalize(s string) string { return strings.ReplaceAll(s, "@", n.stem) }

var resTypes = map[string]*resType{
	"AwsS3Bucket": {kind: kindStorage, base: 9, presence: 1, arn: func(n *namer) string {
		name := n.stem
		if !strings.HasPrefix(name, "acme") {
			name = "acme-" + name
		}
		return "arn:aws:s3:::" + name + "-" + n.pick(bucketPurposes) + "-" + n.region
	}},
	"AwsS3AccessPoint": {kind: kindStorage, base: 1.5, presence: 0.15, arn: func(n *namer) string {
		return n.regional("s3", "accesspoint/"+n.name("ap"))
	}},
	"AwsEc2Instance": {kind: kindCompute, base: 8, presence: 0.8, arn: func(n *namer) string { return n.ec2("i", "instance") }},
	"AwsEc2SecurityGroup": {kind: kindNetwork, base: 10, presence: 1, every: 1, arn: func(n *namer) string {
		return n.ec2("sg", "security-group")
	}},
	"AwsEc2Vpc":              {kind: kindNetwork, base: 1, presence: 0.8, every: 1, arn: func(n *namer) string { return n.ec2("vpc", "vpc") }},
	"AwsEc2Subnet":           {kind: kindNetwork, base: 4, presence: 0.8, every: 3, arn: func(n *namer) string { return n.ec2("subnet", "subnet") }},
	"AwsEc2NetworkAcl":       {kind: kindNetwork, base: 1, presence: 0.6, every: 1, arn: func(n *namer) string { return n.ec2("acl", "network-acl") }},
	"AwsEc2Volume":           {kind: kindCompute, base: 7, presence: 0.75, arn: func(n *namer) string { return n.ec2("vol", "volume") }},
	"AwsEc2Eip":              {kind: kindNetwork, base: 1.5, presence: 0.45, arn: func(n *namer) string { return n.ec2("eipalloc", "eip-allocation") }},
	"AwsEc2LaunchTemplate":   {kind: kindCompute, base: 3, presence: 0.5, arn: func(n *namer) string { return n.ec2("lt", "launch-template") }},
	"AwsEc2TransitGateway":   {kind: kindNetwork, base: 1, presence: 0.03, arn: func(n *namer) string { return n.ec2("tgw", "transit-gateway") }},
	"AwsEc2VpnConnection":    {kind: kindNetwork, base: 1, presence: 0.04, arn: func(n *namer) string { return n.ec2("vpn", "vpn-connection") }},
	"AwsEc2NetworkInterface": {kind: kindNetwork, base: 8, presence: 0.6, arn: func(n *namer) string { return n.ec2("eni", "network-interface") }},
	"AwsEc2VpcPeeringConnection": {kind: kindNetwork, base: 1, presence: 0.1, arn: func(n *namer) string {
		return n.ec2("pcx", "vpc-peering-connection")
	}},
	"AwsEc2ClientVpnEndpoint": {kind: kindNetwork, base: 1, presence: 0.03, arn: func(n *namer) string {
		return n.ec2("cvpn-endpoint", "client-vpn-endpoint")
	}},
	"AwsEc2VpcEndpointService": {kind: kindNetwork, base: 1, presence: 0.08, arn: func(n *namer) string {
		return n.ec2("vpce-svc", "vpc-endpoint-service")
	}},
	"AwsEc2TransitGatewayAttachment": {kind: kindNetwork, base: 1, presence: 0.2, arn: func(n *namer) string {
		return n.ec2("tgw-attach", "transit-gateway-attachment")
	}},
	"AwsIamUser": {kind: kindIdentity, global: true, base: 4, presence: 0.7, arn: func(n *namer) string {
		return "arn:aws:iam::" + n.account + ":user/" + n.personalize(n.pick(iamUserNames))
	}},
	"AwsIamRole": {kind: kindIdentity, global: true, base: 11, presence: 1, arn: func(n *namer) string {
		r := n.pick(iamRoleNames)
		if rest, ok := strings.CutPrefix(r, "sso:"); ok {
			return "arn:aws:iam::" + n.account + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_" + rest + "_" + n.hex(2, 16)
		}
		return "arn:aws:iam::" + n.account + ":role/" + n.personalize(r)
	}},
	"AwsIamPolicy": {kind: kindIdentity, global: true, base: 5, presence: 0.9, arn: func(n *namer) string {
		return "arn:aws:iam::" + n.account + ":policy/" + n.personalize(n.pick(iamPolicyNames))
	}},
	"AwsIamGroup": {kind: kindIdentity, global: true, base: 2, presence: 0.3, arn: func(n *namer) string {
		return "arn:aws:iam::" + n.account + ":group/" + n.pick(iamGroupNames)
	}},
	"AwsIamAccessKey": {kind: kindIdentity, global: true, base: 3, presence: 0.5, arn: func(n *namer) string {
		return "AWS::IAM::AccessKey:AKIA" + strings.ToUpper(n.hex(3, 16))
	}},
	"AwsKmsKey": {kind: kindSecurity, base: 5, presence: 0.8, arn: func(n *namer) string { return n.regional("kms", "key/"+n.uuid()) }},
	"AwsLambdaFunction": {kind: kindCompute, base: 11, presence: 0.8, arn: func(n *namer) string {
		return n.regional("lambda", "function:"+n.name(n.pick([]string{"handler", "worker", "api", "cron", "consumer", "authorizer", "processor", "sync"})))
	}},
	"AwsRdsDbInstance": {kind: kindData, base: 3, presence: 0.55, arn: func(n *namer) string {
		return n.regional("rds", "db:"+n.name("db"))
	}},
	"AwsRdsDbCluster": {kind: kindData, base: 2, presence: 0.4, arn: func(n *namer) string {
		return n.regional("rds", "cluster:"+n.name("aurora"))
	}},
	"AwsRdsDbSnapshot": {kind: kindData, base: 2, presence: 0.3, arn: func(n *namer) string {
		return n.regional("rds", "snapshot:"+n.name("manual-"+n.hex(4, 6)))
	}},
	"AwsRdsDbClusterSnapshot": {kind: kindData, base: 2, presence: 0.25, arn: func(n *namer) string {
		return n.regional("rds", "cluster-snapshot:"+n.name("manual-"+n.hex(4, 6)))
	}},
	"AwsRdsEventSubscription": {kind: kindData, base: 1, presence: 0.2, arn: func(n *namer) string {
		return n.regional("rds", "es:"+n.name("events"))
	}},
	"AwsDynamoDbTable": {kind: kindData, base: 6, presence: 0.5, arn: func(n *namer) string {
		return n.regional("dynamodb", "table/"+n.name(""))
	}},
	"AwsElbv2LoadBalancer": {kind: kindEdge, base: 2.5, presence: 0.6, arn: func(n *namer) string {
		return n.regional("elasticloadbalancing", "loadbalancer/app/"+n.name("alb")+"/"+n.hex(5, 16))
	}},
	"AwsElbLoadBalancer": {kind: kindEdge, base: 1, presence: 0.1, arn: func(n *namer) string {
		return n.regional("elasticloadbalancing", "loadbalancer/"+n.name("elb"))
	}},
	"AwsCloudTrailTrail": {kind: kindLogging, base: 1, presence: 0.35, arn: func(n *namer) string {
		if n.bu == "management" && n.slot == 0 {
			return n.regional("cloudtrail", "trail/acme-org-trail")
		}
		return n.regional("cloudtrail", "trail/"+n.stem+"-"+n.pick([]string{"trail", "audit-trail", "data-events"}))
	}},
	"AwsSnsTopic": {kind: kindApp, base: 4, presence: 0.8, arn: func(n *namer) string {
		return n.regional("sns", n.name(n.pick([]string{"events", "alerts", "notifications", "fanout"})))
	}},
	"AwsSqsQueue": {kind: kindApp, base: 5, presence: 0.6, arn: func(n *namer) string {
		return n.regional("sqs", n.name(n.pick([]string{"queue", "dlq", "jobs", "events"})))
	}},
	"AwsSecretsManagerSecret": {kind: kindSecurity, base: 5, presence: 0.7, arn: func(n *namer) string {
		return n.regional("secretsmanager", "secret:"+n.env+"/"+n.bu+"/"+n.noun()+"-"+n.hex(6, 6))
	}},
	"AwsEcrRepository": {kind: kindCompute, base: 4, presence: 0.5, arn: func(n *namer) string {
		return n.regional("ecr", "repository/"+n.bu+"/"+n.noun())
	}},
	"AwsEcsCluster": {kind: kindCompute, base: 1.2, presence: 0.4, arn: func(n *namer) string {
		return n.regional("ecs", "cluster/"+n.name(""))
	}},
	"AwsEcsTaskDefinition": {kind: kindCompute, base: 8, presence: 0.4, arn: func(n *namer) string {
		return n.regional("ecs", "task-definition/"+n.name("")+":"+strconv.Itoa(int(hash2(n.key, 7)%90)+3))
	}},
	"AwsEcsService": {kind: kindCompute, base: 5, presence: 0.4, arn: func(n *namer) string {
		return n.regional("ecs", "service/"+n.stem+"/"+n.noun())
	}},
	"AwsEcsContainer": {kind: kindCompute, base: 5, presence: 0.4, arn: func(n *namer) string {
		return n.regional("ecs", "container/"+n.stem+"/"+n.noun())
	}},
	"AwsEksCluster": {kind: kindCompute, base: 1, presence: 0.25, arn: func(n *namer) string {
		return n.regional("eks", "cluster/"+n.stem+"-eks")
	}},
	"AwsCloudFrontDistribution": {kind: kindEdge, global: true, base: 2, presence: 0.35, arn: func(n *namer) string {
		return "arn:aws:cloudfront::" + n.account + ":distribution/E" + upperAlnum(hash2(n.key, 8), 13)
	}},
	"AwsApiGatewayStage": {kind: kindApp, base: 2, presence: 0.35, arn: func(n *namer) string {
		return "arn:aws:apigateway:" + n.region + "::/restapis/" + lowerAlnum(hash2(n.key, 9), 10) + "/stages/" + n.env
	}},
	"AwsApiGatewayV2Stage": {kind: kindApp, base: 2, presence: 0.3, arn: func(n *namer) string {
		return "arn:aws:apigateway:" + n.region + "::/apis/" + lowerAlnum(hash2(n.key, 9), 10) + "/stages/$default"
	}},
	"AwsApiGatewayRestApi": {kind: kindApp, base: 2, presence: 0.35, arn: func(n *namer) string {
		return "arn:aws:apigateway:" + n.region + "::/restapis/" + lowerAlnum(hash2(n.key, 9), 10)
	}},
	"AwsOpenSearchServiceDomain": {kind: kindData, base: 1, presence: 0.15, arn: func(n *namer) string {
		return n.regional("es", "domain/"+n.stem+"-"+n.pick([]string{"logs", "search", "audit"}))
	}},
	"AwsElasticsearchDomain": {kind: kindData, base: 1, presence: 0.1, arn: func(n *namer) string {
		return n.regional("es", "domain/"+n.stem+"-legacy-es")
	}},
	"AwsRedshiftCluster": {kind: kindData, base: 1, presence: 0.08, arn: func(n *namer) string {
		return n.regional("redshift", "cluster:"+n.stem+"-dwh")
	}},
	"AwsAutoScalingAutoScalingGroup": {kind: kindCompute, base: 2, presence: 0.5, arn: func(n *namer) string {
		return n.regional("autoscaling", "autoScalingGroup:"+n.uuid()+":autoScalingGroupName/"+n.name("asg"))
	}},
	"AwsAutoScalingLaunchConfiguration": {kind: kindCompute, base: 1, presence: 0.15, arn: func(n *namer) string {
		return n.regional("autoscaling", "launchConfiguration:"+n.uuid()+":launchConfigurationName/"+n.name("lc"))
	}},
	"AwsEfsFileSystem": {kind: kindStorage, base: 1, presence: 0.25, arn: func(n *namer) string {
		return n.regional("elasticfilesystem", "file-system/fs-0"+n.hex(1, 16))
	}},
	"AwsEfsAccessPoint": {kind: kindStorage, base: 2, presence: 0.15, arn: func(n *namer) string {
		return n.regional("elasticfilesystem", "access-point/fsap-0"+n.hex(1, 16))
	}},
	"AwsElastiCacheCacheCluster": {kind: kindData, base: 1.5, presence: 0.25, arn: func(n *namer) string {
		return n.regional("elasticache", "cluster:"+n.name("redis-00"+strconv.Itoa(n.slot%3+1)))
	}},
	"AwsElastiCacheReplicationGroup": {kind: kindData, base: 1, presence: 0.25, arn: func(n *namer) string {
		return n.regional("elasticache", "replicationgroup:"+n.name("redis"))
	}},
	"AwsCodeBuildProject": {kind: kindDevtools, base: 3, presence: 0.35, arn: func(n *namer) string {
		return n.regional("codebuild", "project/"+n.name("build"))
	}},
	"AwsSsmDocument": {kind: kindOther, base: 2, presence: 0.2, arn: func(n *namer) string {
		return n.regional("ssm", "document/"+n.name("runbook"))
	}},
	"AwsSsmPatchCompliance": {kind: kindCompute, base: 4, presence: 0.6, arn: func(n *namer) string { return n.ec2("i", "instance") }},
	"AwsSsmAssociationCompliance": {kind: kindCompute, base: 4, presence: 0.5, arn: func(n *namer) string {
		return n.ec2("i", "instance")
	}},
	"AwsKinesisStream": {kind: kindData, base: 1.5, presence: 0.2, arn: func(n *namer) string {
		return n.regional("kinesis", "stream/"+n.name("stream"))
	}},
	"AwsStepFunctionStateMachine": {kind: kindApp, base: 2, presence: 0.3, arn: func(n *namer) string {
		return n.regional("states", "stateMachine:"+n.name("workflow"))
	}},
	"AwsWafv2WebAcl": {kind: kindEdge, base: 1, presence: 0.3, arn: func(n *namer) string {
		return n.regional("wafv2", "regional/webacl/"+n.stem+"-waf/"+n.uuid())
	}},
	"AwsWafRegionalWebAcl": {kind: kindEdge, base: 1, presence: 0.05, arn: func(n *namer) string {
		return n.regional("waf-regional", "webacl/"+n.uuid())
	}},
	"AwsWafWebAcl": {kind: kindEdge, global: true, base: 1, presence: 0.04, arn: func(n *namer) string {
		return "arn:aws:waf::" + n.account + ":webacl/" + n.uuid()
	}},
	"AwsNetworkFirewallFirewall": {kind: kindNetwork, base: 1, presence: 0.03, arn: func(n *namer) string {
		return n.regional("network-firewall", "firewall/"+n.stem+"-egress-fw")
	}},
	"AwsNetworkFirewallFirewallPolicy": {kind: kindNetwork, base: 1, presence: 0.03, arn: func(n *namer) string {
		return n.regional("network-firewall", "firewall-policy/"+n.stem+"-egress-policy")
	}},
	"AwsNetworkFirewallRuleGroup": {kind: kindNetwork, base: 2, presence: 0.03, arn: func(n *namer) string {
		return n.regional("network-firewall", "stateful-rulegroup/"+n.name("rules"))
	}},
	"AwsBackupBackupVault": {kind: kindBackup, base: 1, presence: 0.3, arn: func(n *namer) string {
		return n.regional("backup", "backup-vault:"+n.stem+"-vault")
	}},
	"AwsBackupBackupPlan": {kind: kindBackup, base: 1, presence: 0.3, arn: func(n *namer) string {
		return n.regional("backup", "backup-plan:"+n.uuid())
	}},
	"AwsBackupRecoveryPoint": {kind: kindBackup, base: 4, presence: 0.3, arn: func(n *namer) string {
		return "arn:aws:ec2:" + n.region + "::snapshot/snap-0" + n.hex(1, 16)
	}},
	"AwsAthenaWorkGroup": {kind: kindData, base: 2, presence: 0.3, arn: func(n *namer) string {
		return n.regional("athena", "workgroup/"+n.stem+"-"+n.pick([]string{"analysts", "etl", "adhoc"}))
	}},
	"AwsSageMakerNotebookInstance": {kind: kindData, base: 1, presence: 0.08, arn: func(n *namer) string {
		return n.regional("sagemaker", "notebook-instance/"+n.name("nb"))
	}},
	"AwsMskCluster": {kind: kindData, base: 1, presence: 0.06, arn: func(n *namer) string {
		return n.regional("kafka", "cluster/"+n.stem+"-events/"+n.uuid()+"-3")
	}},
	"AwsAmazonMqBroker": {kind: kindApp, base: 1, presence: 0.05, arn: func(n *namer) string {
		return n.regional("mq", "broker:"+n.stem+"-mq:b-"+n.uuid())
	}},
	"AwsDmsReplicationInstance": {kind: kindData, base: 1, presence: 0.05, arn: func(n *namer) string {
		return n.regional("dms", "rep:"+upperAlnum(hash2(n.key, 10), 26))
	}},
	"AwsCertificateManagerCertificate": {kind: kindEdge, base: 3, presence: 0.6, arn: func(n *namer) string {
		return n.regional("acm", "certificate/"+n.uuid())
	}},
	"AwsRoute53HostedZone": {kind: kindEdge, global: true, base: 2, presence: 0.4, arn: func(n *namer) string {
		return "arn:aws:route53:::hostedzone/Z0" + upperAlnum(hash2(n.key, 8), 18)
	}},
	"AwsEventsEventbus": {kind: kindApp, base: 1, presence: 0.3, arn: func(n *namer) string {
		return n.regional("events", "event-bus/"+n.stem+"-bus")
	}},
	"AwsCloudWatchAlarm": {kind: kindLogging, base: 4, presence: 0.5, arn: func(n *namer) string {
		return n.regional("cloudwatch", "alarm:"+n.name("errors"))
	}},
	"AwsLogsLogGroup": {kind: kindLogging, base: 8, presence: 0.7, arn: func(n *namer) string {
		return n.regional("logs", "log-group:/aws/lambda/"+n.name(""))
	}},
	"AwsGuardDutyDetector": {kind: kindSecurity, every: 1, arn: func(n *namer) string {
		return n.regional("guardduty", "detector/"+n.hex(1, 32))
	}},
	"AwsCognitoUserPool": {kind: kindIdentity, base: 1, presence: 0.1, arn: func(n *namer) string {
		return n.regional("cognito-idp", "userpool/"+n.region+"_"+upperAlnum(hash2(n.key, 8), 9))
	}},
	"AwsAppSyncGraphQlApi": {kind: kindApp, base: 1, presence: 0.05, arn: func(n *namer) string {
		return n.regional("appsync", "apis/"+lowerAlnum(hash2(n.key, 9), 26))
	}},
	"AwsTransferServer": {kind: kindApp, base: 1, presence: 0.04, arn: func(n *namer) string {
		return n.regional("transfer", "server/s-"+n.hex(1, 17))
	}},
	"AwsAccessAnalyzerAnalyzer": {kind: kindSecurity, base: 1, presence: 0.5, arn: func(n *namer) string {
		return n.regional("access-analyzer", "analyzer/"+n.stem+"-analyzer")
	}},
	"AwsIamServerCertificate": {kind: kindEdge, global: true, base: 1, presence: 0.1, arn: func(n *namer) string {
		return "arn:aws:iam::" + n.account + ":server-certificate/" + n.name("cert")
	}},
	"AwsWorkSpacesWorkspace": {kind: kindOther, base: 3, presence: 0.05, arn: func(n *namer) string {
		return n.regional("workspaces", "workspace/ws-"+lowerAlnum(hash2(n.key, 9), 9))
	}},
	"AwsKinesisFirehoseDeliveryStream": {kind: kindData, base: 1, presence: 0.2, arn: func(n *namer) string {
		return n.regional("firehose", "deliverystream/"+n.name("firehose"))
	}},
	"AwsWafv2RuleGroup": {kind: kindEdge, base: 1, presence: 0.1, arn: func(n *namer) string {
		return n.regional("wafv2", "regional/rulegroup/"+n.name("rules")+"/"+n.uuid())
	}},
	"AwsEmrCluster": {kind: kindData, base: 1, presence: 0.05, arn: func(n *namer) string {
		return n.regional("elasticmapreduce", "cluster/j-"+upperAlnum(hash2(n.key, 8), 13))
	}},
	"AwsElasticBeanstalkEnvironment": {kind: kindApp, base: 1, presence: 0.04, arn: func(n *namer) string {
		return n.regional("elasticbeanstalk", "environment/"+n.stem+"-app/"+n.name("env"))
	}},
	"AwsDocumentDbCluster": {kind: kindData, base: 1, presence: 0.05, arn: func(n *namer) string {
		return n.regional("rds", "cluster:"+n.name("docdb"))
	}},
	"AwsNeptuneDbCluster": {kind: kindData, base: 1, presence: 0.02, arn: func(n *namer) string {
		return n.regional("rds", "cluster:"+n.name("graph"))
	}},
	"AwsFsxFileSystem": {kind: kindStorage, base: 1, presence: 0.03, arn: func(n *namer) string {
		return n.regional("fsx", "file-system/fs-0"+n.hex(1, 16))
	}},
	"AwsDataSyncTask": {kind: kindStorage, base: 1, presence: 0.04, arn: func(n *namer) string {
		return n.regional("datasync", "task/task-0"+n.hex(1, 16))
	}},
	"AwsGlueJob": {kind: kindData, base: 2, presence: 0.1, arn: func(n *namer) string {
		return n.regional("glue", "job/"+n.name("etl"))
	}},
}

// genericType describes a resource type the table above does not know, so that a control added to
// the catalog (configs/catalog.json) for a new service still gets plausible resources without a
// code change. service is the control's service prefix ("SageMaker" of SageMaker.5).
func genericType(asff, service string) *resType {
	svc, resource := splitASFFType(asff, service)
	return &resType{asff: asff, kind: kindOther, base: 1.5, presence: 0.2, arn: func(n *namer) string {
		return n.regional(svc, resource+"/"+n.name(""))
	}}
}

// splitASFFType turns "AwsSageMakerModel" into service "sagemaker" and resource "model", using the
// control's service prefix when the type starts with it and CamelCase words otherwise.
func splitASFFType(asff, service string) (string, string) {
	s := strings.TrimPrefix(asff, "Aws")
	var svc string
	if service != "" && len(s) > len(service) && strings.EqualFold(s[:len(service)], service) {
		svc, s = strings.ToLower(service), s[len(service):]
	}
	words := camelWords(s)
	if svc == "" && len(words) > 0 {
		svc, words = words[0], words[1:]
	}
	if svc == "" {
		svc = "unknown"
	}
	if len(words) == 0 {
		return svc, "resource"
	}
	return svc, strings.Join(words, "-")
}

// camelWords splits "DbClusterSnapshot" into "db", "cluster", "snapshot".
func camelWords(s string) []string {
	var words []string
	start := 0
	for i := 1; i <= len(s); i++ {
		if i == len(s) || (s[i] >= 'A' && s[i] <= 'Z' && s[i-1] >= 'a' && s[i-1] <= 'z') {
			if i > start {
				words = append(words, strings.ToLower(s[start:i]))
			}
			start = i
		}
	}
	return words
}

// automationDocs are the SSM Automation runbooks an auto-remediation pipeline runs per control.
// Controls without an entry but in an automatable service use the Automated Security Response
// runbook naming (ASR-AFSBP_1.0.0_<control>).
var automationDocs = map[string]string{
	"S3.1":         "AWSConfigRemediation-ConfigureS3PublicAccessBlock",
	"S3.2":         "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
	"S3.3":         "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
	"S3.4":         "AWS-EnableS3BucketEncryption",
	"S3.5":         "AWSConfigRemediation-RestrictBucketSSLRequestsOnly",
	"S3.8":         "AWSConfigRemediation-ConfigureS3BucketPublicAccessBlock",
	"S3.9":         "AWS-ConfigureS3BucketLogging",
	"EC2.2":        "AWSConfigRemediation-RemoveVPCDefaultSecurityGroupRules",
	"EC2.7":        "AWSConfigRemediation-EnableEbsEncryptionByDefault",
	"EC2.13":       "AWS-DisablePublicAccessForSecurityGroup",
	"EC2.14":       "AWS-DisablePublicAccessForSecurityGroup",
	"EC2.19":       "AWS-DisablePublicAccessForSecurityGroup",
	"CloudTrail.4": "AWS-EnableCloudTrailLogFileValidation",
	"IAM.7":        "AWSConfigRemediation-SetIAMPasswordPolicy",
	"IAM.8":        "AWSConfigRemediation-RevokeUnusedIAMUserCredentials",
	"KMS.4":        "AWSConfigRemediation-EnableKeyRotation",
	"RDS.2":        "AWSConfigRemediation-DisablePublicAccessToRDSInstance",
	"RDS.6":        "AWSConfigRemediation-EnableEnhancedMonitoringOnRDSInstance",
	"RDS.13":       "AWSConfigRemediation-EnableMinorVersionUpgradeOnRDSDBInstance",
	"SNS.1":        "AWSConfigRemediation-EncryptSNSTopic",
	"Lambda.1":     "AWSConfigRemediation-RemoveLambdaPublicAccess",
	"CloudTrail.2": "ASR-EnableCloudTrailEncryption",
}

// automatableServices are services whose controls an auto-remediation pipeline typically covers.
var automatableServices = map[string]bool{
	"S3": true, "EC2": true, "IAM": true, "KMS": true, "RDS": true, "CloudTrail": true,
	"SNS": true, "SQS": true, "Lambda": true, "Config": true, "GuardDuty": true, "ECR": true,
}

// hardControls are the controls that fail widely in real estates: settings every account has to
// get right on every resource or in every region, that no SCP or default enforces. spread is the
// share of accounts of average maturity that get the control wrong; nonProd controls are mostly
// wrong outside production (Inspector and Macie left off in dev and sandbox accounts). Together
// with campaignControls they decide the CIS and PCI scores, which the random draw leaves alone.
var hardControls = map[string]struct {
	spread  float64
	nonProd bool
}{
	"S3.1":         {0.6, false},  // account-level Block Public Access, off in unused regions
	"EC2.2":        {0.52, false}, // default security groups keep their default rules
	"EC2.21":       {0.45, false}, // default network ACLs open to the world
	"IAM.6":        {0.6, false},  // root hardware MFA (virtual MFA devices everywhere)
	"EC2.13":       {0.4, false},  // SSH open to the world
	"EC2.19":       {0.45, false}, // high-risk ports open to the world
	"KMS.4":        {0.65, false}, // customer managed keys without rotation
	"CloudTrail.4": {0.65, false}, // account trails without log file validation
	"SSM.1":        {0.65, false}, // instances without the SSM agent or instance profile
	"EC2.6":        {0.5, false},  // VPC flow logs
	"EC2.8":        {0.65, false}, // IMDSv1 still allowed
	"EC2.18":       {0.42, false},
	"S3.9":         {0.6, false},
	"S3.22":        {0.38, false}, // S3 data events not logged
	"S3.23":        {0.4, false},
	"CloudWatch.1": {0.45, false},
	"Lambda.2":     {0.6, false},
	"Lambda.3":     {0.5, false}, // functions outside a VPC
	"Inspector.1":  {0.65, true},
	"Inspector.2":  {0.65, true},
	"Inspector.3":  {0.6, true},
	"Inspector.4":  {0.6, true},
	"Macie.1":      {0.7, true},
	"Macie.2":      {0.7, true},
}

// campaignControls are fixed organization-wide during the window: the security team rolls a
// setting out to every account (a conformance pack, a StackSet, an SCP) at the given share of the
// window, and each account follows within a week.
var campaignControls = map[string]struct {
	at   float64
	name string
}{
	"Account.1":    {0.08, "register the security contact on every account"},
	"IAM.10":       {0.14, "apply the password policy StackSet to every account"},
	"IAM.18":       {0.2, "create the AWS Support incident role in every account"},
	"Config.1":     {0.27, "record every resource type in every region"},
	"EC2.7":        {0.38, "enable EBS default encryption everywhere"},
	"EC2.1":        {0.5, "block public sharing of EBS snapshots"},
	"GuardDuty.1":  {0.56, "enable GuardDuty in every region"},
	"S3.5":         {0.63, "deny non-TLS requests on every bucket"},
	"EC2.15":       {0.7, "turn off public IP auto-assignment on all subnets"},
	"IAM.19":       {0.76, "enforce MFA for the remaining IAM users"},
	"CloudTrail.5": {0.8, "send every trail to CloudWatch Logs"},
	"CloudTrail.2": {0.86, "encrypt every trail with the organization KMS key"},
}

// cve is a package vulnerability Inspector reports.
type cve struct {
	id        string
	packages  string
	severity  string // Inspector label; INFORMATIONAL for untriaged
	published string // yyyy-mm-dd
	container bool   // found in container images (language packages) rather than on instances
	weight    int
}

var cves = []cve{
	{"CVE-2024-6387", "openssh-server, openssh-clients", "HIGH", "2024-07-01", false, 6},
	{"CVE-2024-3094", "xz-libs, xz", "CRITICAL", "2024-03-29", false, 1},
	{"CVE-2023-44487", "nghttp2-libs", "HIGH", "2023-10-10", false, 4},
	{"CVE-2024-6119", "openssl, openssl-libs", "HIGH", "2024-09-03", false, 8},
	{"CVE-2024-5535", "openssl-libs", "MEDIUM", "2024-06-27", false, 8},
	{"CVE-2023-4911", "glibc, glibc-common", "HIGH", "2023-10-03", false, 3},
	{"CVE-2024-2961", "glibc", "HIGH", "2024-04-17", false, 5},
	{"CVE-2024-45490", "expat", "CRITICAL", "2024-08-30", false, 2},
	{"CVE-2024-37371", "krb5-libs", "CRITICAL", "2024-06-28", false, 2},
	{"CVE-2023-38545", "curl, libcurl", "CRITICAL", "2023-10-18", false, 1},
	{"CVE-2024-2398", "curl, libcurl", "MEDIUM", "2024-03-27", false, 7},
	{"CVE-2024-7348", "postgresql15", "HIGH", "2024-08-08", false, 2},
	{"CVE-2024-0727", "openssl-libs", "MEDIUM", "2024-01-26", false, 8},
	{"CVE-2024-28182", "nghttp2-libs", "MEDIUM", "2024-04-04", false, 6},
	{"CVE-2023-45853", "zlib", "CRITICAL", "2023-10-14", false, 1},
	{"CVE-2024-26461", "krb5-libs", "MEDIUM", "2024-02-29", false, 6},
	{"CVE-2024-2511", "openssl-libs", "LOW", "2024-04-08", false, 9},
	{"CVE-2023-52425", "expat", "MEDIUM", "2024-02-04", false, 5},
	{"CVE-2024-26458", "krb5-libs", "INFORMATIONAL", "2024-02-29", false, 5},
	{"CVE-2024-38428", "wget", "CRITICAL", "2024-06-16", false, 1},
	{"CVE-2024-24790", "stdlib (go)", "CRITICAL", "2024-06-04", true, 2},
	{"CVE-2024-45337", "golang.org/x/crypto", "CRITICAL", "2024-12-11", true, 2},
	{"CVE-2024-21626", "runc", "HIGH", "2024-01-31", true, 3},
	{"CVE-2024-22262", "org.springframework:spring-web", "HIGH", "2024-04-16", true, 3},
	{"CVE-2024-47554", "commons-io:commons-io", "MEDIUM", "2024-10-03", true, 5},
	{"CVE-2024-35195", "requests", "MEDIUM", "2024-05-20", true, 6},
	{"CVE-2022-40897", "setuptools", "MEDIUM", "2022-12-23", true, 6},
	{"CVE-2024-21538", "cross-spawn", "HIGH", "2024-11-08", true, 4},
	{"CVE-2024-4068", "braces", "HIGH", "2024-05-14", true, 4},
	{"CVE-2024-39338", "axios", "HIGH", "2024-08-09", true, 4},
	{"CVE-2024-45296", "path-to-regexp", "HIGH", "2024-09-09", true, 4},
	{"CVE-2024-37891", "urllib3", "MEDIUM", "2024-06-17", true, 6},
	{"CVE-2024-6345", "setuptools", "HIGH", "2024-07-15", true, 4},
	{"CVE-2023-39325", "golang.org/x/net", "HIGH", "2023-10-11", true, 3},
	{"CVE-2024-52798", "path-to-regexp", "HIGH", "2024-12-05", true, 3},
	{"CVE-2024-34064", "jinja2", "MEDIUM", "2024-05-06", true, 6},
	{"CVE-2024-43799", "send", "LOW", "2024-09-10", true, 7},
	{"CVE-2024-47764", "cookie", "LOW", "2024-10-04", true, 7},
	{"CVE-2024-29857", "org.bouncycastle:bcprov-jdk18on", "INFORMATIONAL", "2024-05-14", true, 3},
}

// threat is a GuardDuty finding type.
type threat struct {
	name     string // GuardDuty finding type
	asffType string
	severity float64 // GuardDuty severity (2, 5, 8, 9): Normalized is ten times it
	resource string  // "instance", "key", "bucket", "role"
	title    string  // %s is the resource's short name
	weight   int
}

// fallbackThreat indexes a threat that needs no resource in the region.
const fallbackThreat = 7

var threats = []threat{
	{"Recon:EC2/PortProbeUnprotectedPort", "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort", 2, "instance", "Unprotected port on EC2 instance %s is being probed.", 30},
	{"UnauthorizedAccess:EC2/SSHBruteForce", "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce", 2, "instance", "198.51.100.23 is performing SSH brute force attacks against %s.", 14},
	{"Recon:EC2/Portscan", "TTPs/Discovery/Recon:EC2-Portscan", 5, "instance", "EC2 instance %s is performing outbound port scans against remote hosts.", 3},
	{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS", 8, "role", "Credentials for instance role %s used from external IP address.", 2},
	{"CryptoCurrency:EC2/BitcoinTool.B!DNS", "Effects/Resource Consumption/CryptoCurrency:EC2-BitcoinTool.B!DNS", 8, "instance", "EC2 instance %s is querying a domain name that is associated with Bitcoin-related activity.", 1},
	{"Backdoor:EC2/C&CActivity.B!DNS", "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS", 8, "instance", "EC2 instance %s is querying a domain name associated with a known command and control server.", 1},
	{"Policy:IAMUser/RootCredentialUsage", "TTPs/Policy:IAMUser-RootCredentialUsage", 2, "key", "API GetCallerIdentity was invoked using root credentials in account %s.", 6},
	{"Discovery:IAMUser/AnomalousBehavior", "TTPs/Discovery/IAMUser-AnomalousBehavior", 2, "key", "APIs commonly used in Discovery tactics were invoked by user %s.", 8},
	{"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", "TTPs/Initial Access/UnauthorizedAccess:IAMUser-MaliciousIPCaller.Custom", 5, "key", "API DescribeInstances was invoked by %s from an IP address on a custom threat list.", 3},
	{"Policy:S3/BucketBlockPublicAccessDisabled", "Software and Configuration Checks/Policy:S3-BucketBlockPublicAccessDisabled", 2, "bucket", "Amazon S3 Block Public Access was disabled for S3 bucket %s.", 5},
	{"Stealth:IAMUser/CloudTrailLoggingDisabled", "TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled", 2, "key", "AWS CloudTrail trail logging was disabled by %s.", 2},
	{"Execution:Runtime/NewBinaryExecuted", "TTPs/Execution/Execution:Runtime-NewBinaryExecuted", 5, "instance", "A newly created or recently modified binary file has been executed on EC2 instance %s.", 4},
	{"Impact:EC2/AbusedDomainRequest.Reputation", "TTPs/Impact/Impact:EC2-AbusedDomainRequest.Reputation", 5, "instance", "EC2 instance %s is querying a low reputation domain name that is associated with known abused domains.", 3},
	{"AttackSequence:IAM/CompromisedCredentials", "TTPs/AttackSequence:IAM-CompromisedCredentials", 9, "role", "Potential credential compromise of %s indicated by a sequence of actions.", 1},
}

// sensitiveData is a Macie finding type.
type sensitiveData struct {
	name     string
	asffType string
	severity string
	title    string
	weight   int
}

var sensitiveDataTypes = []sensitiveData{
	{"SensitiveData:S3Object/Personal", "Sensitive Data Identifications/PII/SensitiveData:S3Object-Personal", "MEDIUM", "The S3 object contains personal information.", 10},
	{"SensitiveData:S3Object/Financial", "Sensitive Data Identifications/Financial/SensitiveData:S3Object-Financial", "HIGH", "The S3 object contains financial information.", 5},
	{"SensitiveData:S3Object/Credentials", "Sensitive Data Identifications/Passwords/SensitiveData:S3Object-Credentials", "HIGH", "The S3 object contains credentials data.", 3},
	{"SensitiveData:S3Object/Multiple", "Sensitive Data Identifications/PII/SensitiveData:S3Object-Multiple", "HIGH", "The S3 object contains multiple categories of sensitive information.", 4},
	{"SensitiveData:S3Object/CustomIdentifier", "Sensitive Data Identifications/SensitiveData:S3Object-CustomIdentifier", "LOW", "The S3 object contains text that matches the pattern of a custom data identifier.", 3},
	{"Policy:IAMUser/S3BlockPublicAccessDisabled", "Software and Configuration Checks/AWS Security Best Practices/Policy:IAMUser-S3BlockPublicAccessDisabled", "LOW", "Block Public Access settings are disabled for the S3 bucket.", 3},
	{"Policy:IAMUser/S3BucketEncryptionDisabled", "Software and Configuration Checks/AWS Security Best Practices/Policy:IAMUser-S3BucketEncryptionDisabled", "LOW", "Default encryption is disabled for the S3 bucket.", 2},
	{"Policy:IAMUser/S3BucketSharedExternally", "Effects/Data Exposure/Policy:IAMUser-S3BucketSharedExternally", "HIGH", "The S3 bucket is shared with an external AWS account.", 1},
}

// Suppression reasons. %u is a risk-acceptance end date, %n a ticket number.
var suppressionReasons = map[string][]string{
	"S3": {
		"Compensating control: bucket fronted by CloudFront with OAC",
		"False positive: bucket hosts public static website assets by design, reviewed in SEC-%n",
		"Risk accepted until %u: legacy vendor integration reads over plain HTTP, RISK-%n",
	},
	"EC2": {
		"Risk accepted until %u: third-party appliance AMI does not support IMDSv2, RISK-%n",
		"False positive: security group only attached to the internet-facing load balancer, reviewed in SEC-%n",
		"Compensating control: instance isolated in an inspection VPC behind Network Firewall",
	},
	"RDS": {
		"Risk accepted until %u: migration to an encrypted cluster planned, RISK-%n",
		"Compensating control: database reachable only through the private link endpoint",
	},
	"IAM": {
		"Risk accepted until %u: break-glass user kept for the legacy SSO outage runbook, RISK-%n",
		"False positive: policy is managed by AWS Control Tower and cannot be changed",
	},
	"": {
		"Risk accepted until %u: legacy vendor integration, RISK-%n",
		"Compensating control: access restricted by SCP and VPC endpoint policy",
		"False positive: resource is managed by AWS Control Tower, reviewed in SEC-%n",
		"Risk accepted until %u: decommissioning planned this quarter, RISK-%n",
	},
	"sandbox": {
		"Accepted: sandbox account without production data (policy SBX-02), review %u",
	},
}

// campaignFixNotes note a fix made in an organization-wide campaign; %c is the campaign's name.
var campaignFixNotes = []string{
	"Fixed in the organization-wide campaign: %c, CHG-%n",
	"Rolled out by the landing-zone StackSet (campaign: %c), CHG-%n",
}

var manualFixNotes = []string{
	"Fixed in Terraform, PR #%n",
	"Remediated manually, change CHG-%n",
	"Configuration corrected by the owning team, SEC-%n",
	"Fixed via the platform baseline module upgrade, PLAT-%n",
}

// hexString formats length hex digits drawn from h (rehashed as needed).
func hexString(h uint64, length int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, length)
	for i := range b {
		if i > 0 && i%16 == 0 {
			h = mix(h + uint64(i))
		}
		b[i] = digits[h&15]
		h = h>>4 | h<<60
	}
	return string(b)
}

func alnum(h uint64, length int, digits string) string {
	b := make([]byte, length)
	for i := range b {
		if i > 0 && i%8 == 0 {
			h = mix(h + uint64(i))
		}
		b[i] = digits[h%uint64(len(digits))]
		h /= uint64(len(digits))
	}
	return string(b)
}

func upperAlnum(h uint64, length int) string {
	return alnum(h, length, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
}

func lowerAlnum(h uint64, length int) string {
	return alnum(h, length, "abcdefghijklmnopqrstuvwxyz0123456789")
}

// uuidString formats a version-4-shaped UUID from two hashes.
func uuidString(a, b uint64) string {
	var buf [36]byte
	return string(appendUUID(buf[:0], a, b))
}

func appendUUID(dst []byte, a, b uint64) []byte {
	const digits = "0123456789abcdef"
	var src [32]byte
	for i := 0; i < 16; i++ {
		src[i] = digits[(a>>(4*i))&15]
		src[16+i] = digits[(b>>(4*i))&15]
	}
	src[12] = '4'             // version
	src[16] = digits[8+(b&3)] // variant
	for i, c := range src {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			dst = append(dst, '-')
		}
		dst = append(dst, c)
	}
	return dst
}
