package demo

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
