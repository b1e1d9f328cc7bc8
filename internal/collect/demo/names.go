package demo

import (
	"strconv"
	"strings"
)

// This file and its siblings hold the vocabulary of the synthetic organization: business units,
// people and resource naming here, the resource types Security Hub controls evaluate in
// restypes.go, the curated control tables and finding notes in controltables.go, CVEs and threat
// finding types in threats.go. It is Go rather than configs/ data because it is not a product
// mapping: nothing outside the demo reads it, the numbers in it are knobs of a simulation, and
// the resource types carry their ARN builders as functions.

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
// listed, with their OU path below the root (the management account sits at the root itself). The security tooling account is the Security Hub delegated administrator.
var foundationAccounts = []struct {
	name, ou, role string
	nouns          []string
}{
	{"management", "", "management", []string{"billing", "org", "sso", "cur"}},
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
