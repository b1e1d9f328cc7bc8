package demo

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/model"
)

// memSink collects a snapshot into slices.
type memSink struct{ collect.Buffer }

func (s *memSink) digest() string {
	h := sha256.New()
	for _, a := range s.Accounts {
		fmt.Fprintf(h, "%+v\n", a)
	}
	for _, c := range s.Coverage {
		fmt.Fprintf(h, "%+v\n", c)
	}
	for _, f := range s.Findings {
		writeFinding(h, f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeFinding(w io.Writer, f *model.Finding) {
	// %+v prints maps with sorted keys, so equal findings print equal.
	fmt.Fprintf(w, "%+v\n", *f)
}

func snapshot(t testing.TB, o *Org, d int) *memSink {
	t.Helper()
	s := &memSink{}
	if err := o.Snapshot(context.Background(), d, s); err != nil {
		t.Fatalf("Snapshot(%d): %v", d, err)
	}
	return s
}

func newOrg(t testing.TB, cfg Config) *Org {
	t.Helper()
	o, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return o
}

// bigControls approximates the real Security Hub control list (about 160 controls): id, resource
// type, scope, severity, standards. The shipped catalog is still growing; this keeps the
// count budget and the trend tested at the size it is heading to.
const bigControls = `Account.1,AwsAccount,global,MEDIUM,fsbp cis5 nist53r5
ACM.1,AwsCertificateManagerCertificate,regional,MEDIUM,fsbp nist53r5
ACM.2,AwsCertificateManagerCertificate,regional,HIGH,fsbp
APIGateway.1,AwsApiGatewayStage,regional,MEDIUM,fsbp nist53r5
APIGateway.2,AwsApiGatewayStage,regional,MEDIUM,fsbp nist53r5
APIGateway.3,AwsApiGatewayStage,regional,LOW,fsbp nist53r5
APIGateway.4,AwsApiGatewayStage,regional,MEDIUM,fsbp nist53r5
APIGateway.5,AwsApiGatewayStage,regional,MEDIUM,fsbp nist53r5
APIGateway.9,AwsApiGatewayV2Stage,regional,MEDIUM,fsbp nist53r5
AutoScaling.1,AwsAutoScalingAutoScalingGroup,regional,LOW,fsbp pci321 nist53r5
AutoScaling.2,AwsAutoScalingAutoScalingGroup,regional,MEDIUM,fsbp nist53r5
AutoScaling.3,AwsAutoScalingLaunchConfiguration,regional,HIGH,fsbp nist53r5
AutoScaling.5,AwsAutoScalingLaunchConfiguration,regional,HIGH,fsbp nist53r5
AutoScaling.6,AwsAutoScalingAutoScalingGroup,regional,MEDIUM,fsbp nist53r5
AutoScaling.9,AwsAutoScalingAutoScalingGroup,regional,MEDIUM,fsbp nist53r5
CloudFront.1,AwsCloudFrontDistribution,global,HIGH,fsbp nist53r5
CloudFront.3,AwsCloudFrontDistribution,global,MEDIUM,fsbp nist53r5
CloudFront.4,AwsCloudFrontDistribution,global,LOW,fsbp nist53r5
CloudFront.5,AwsCloudFrontDistribution,global,MEDIUM,fsbp nist53r5
CloudFront.6,AwsCloudFrontDistribution,global,MEDIUM,fsbp nist53r5
CloudFront.7,AwsCloudFrontDistribution,global,MEDIUM,fsbp nist53r5
CloudFront.9,AwsCloudFrontDistribution,global,MEDIUM,fsbp nist53r5
CloudFront.12,AwsCloudFrontDistribution,global,HIGH,fsbp nist53r5
CloudTrail.1,AwsAccount,global,HIGH,fsbp cis5 nist53r5 cis12 cis14 cis30
CloudTrail.2,AwsCloudTrailTrail,regional,MEDIUM,fsbp cis5 pci321 nist53r5 cis12 cis14 cis30
CloudTrail.3,AwsAccount,global,HIGH,pci321 nist53r5
CloudTrail.4,AwsCloudTrailTrail,regional,LOW,fsbp cis5 pci321 nist53r5 cis12 cis14 cis30
CloudTrail.5,AwsCloudTrailTrail,regional,LOW,fsbp pci321 nist53r5 cis12 cis14
CloudTrail.6,AwsS3Bucket,regional,CRITICAL,cis12 cis14
CloudTrail.7,AwsS3Bucket,regional,LOW,cis5 cis12 cis14 cis30
CloudWatch.1,AwsAccount,global,LOW,pci321 cis12 cis14
CloudWatch.2,AwsAccount,global,LOW,cis12
CloudWatch.3,AwsAccount,global,LOW,cis12 cis14
CodeBuild.1,AwsCodeBuildProject,regional,CRITICAL,fsbp pci321 nist53r5
CodeBuild.2,AwsCodeBuildProject,regional,CRITICAL,fsbp pci321 nist53r5
CodeBuild.3,AwsCodeBuildProject,regional,LOW,fsbp nist53r5
CodeBuild.4,AwsCodeBuildProject,regional,MEDIUM,fsbp nist53r5
Config.1,AwsAccount,regional,CRITICAL,fsbp cis5 pci321 nist53r5 cis12 cis14 cis30
DMS.1,AwsDmsReplicationInstance,regional,CRITICAL,fsbp pci321 nist53r5
DynamoDB.1,AwsDynamoDbTable,regional,MEDIUM,fsbp nist53r5
DynamoDB.2,AwsDynamoDbTable,regional,MEDIUM,fsbp nist53r5
DynamoDB.3,AwsDynamoDbTable,regional,MEDIUM,fsbp nist53r5
DynamoDB.4,AwsDynamoDbTable,regional,MEDIUM,nist53r5
DynamoDB.6,AwsDynamoDbTable,regional,MEDIUM,fsbp nist53r5
EC2.1,AwsAccount,regional,CRITICAL,fsbp pci321 nist53r5
EC2.2,AwsEc2SecurityGroup,regional,HIGH,fsbp cis5 pci321 nist53r5 cis12 cis14 cis30
EC2.3,AwsEc2Volume,regional,MEDIUM,fsbp nist53r5
EC2.4,AwsEc2Instance,regional,MEDIUM,fsbp pci321 nist53r5
EC2.6,AwsEc2Vpc,regional,MEDIUM,fsbp cis5 pci321 nist53r5 cis12 cis14 cis30
EC2.7,AwsAccount,regional,MEDIUM,fsbp cis5 nist53r5 cis14 cis30
EC2.8,AwsEc2Instance,regional,HIGH,fsbp cis5 pci321 nist53r5 cis30
EC2.9,AwsEc2Instance,regional,HIGH,fsbp nist53r5
EC2.10,AwsEc2Vpc,regional,MEDIUM,fsbp nist53r5
EC2.12,AwsEc2Eip,regional,LOW,pci321 nist53r5
EC2.13,AwsEc2SecurityGroup,regional,HIGH,pci321 nist53r5 cis12
EC2.14,AwsEc2SecurityGroup,regional,HIGH,cis12
EC2.15,AwsEc2Subnet,regional,MEDIUM,fsbp pci321 nist53r5
EC2.16,AwsEc2NetworkAcl,regional,LOW,fsbp nist53r5
EC2.17,AwsEc2Instance,regional,LOW,fsbp nist53r5
EC2.18,AwsEc2SecurityGroup,regional,HIGH,fsbp nist53r5
EC2.19,AwsEc2SecurityGroup,regional,CRITICAL,fsbp nist53r5
EC2.20,AwsEc2VpnConnection,regional,MEDIUM,fsbp nist53r5
EC2.21,AwsEc2NetworkAcl,regional,MEDIUM,fsbp cis5 nist53r5 cis14 cis30
EC2.22,AwsEc2SecurityGroup,regional,MEDIUM,nist53r5
EC2.23,AwsEc2TransitGateway,regional,HIGH,fsbp nist53r5
EC2.24,AwsEc2Instance,regional,MEDIUM,fsbp nist53r5
EC2.25,AwsEc2LaunchTemplate,regional,HIGH,fsbp nist53r5
EC2.51,AwsEc2ClientVpnEndpoint,regional,LOW,fsbp nist53r5
EC2.53,AwsEc2SecurityGroup,regional,HIGH,cis5 cis30
EC2.54,AwsEc2SecurityGroup,regional,HIGH,cis5 cis30
ECR.1,AwsEcrRepository,regional,HIGH,fsbp nist53r5
ECR.2,AwsEcrRepository,regional,MEDIUM,fsbp nist53r5
ECR.3,AwsEcrRepository,regional,MEDIUM,fsbp nist53r5
ECS.1,AwsEcsTaskDefinition,regional,HIGH,fsbp nist53r5
ECS.2,AwsEcsService,regional,HIGH,fsbp nist53r5
ECS.3,AwsEcsTaskDefinition,regional,HIGH,fsbp nist53r5
ECS.4,AwsEcsContainer,regional,HIGH,fsbp nist53r5
ECS.5,AwsEcsContainer,regional,HIGH,fsbp nist53r5
ECS.8,AwsEcsTaskDefinition,regional,HIGH,fsbp nist53r5
ECS.12,AwsEcsCluster,regional,MEDIUM,fsbp nist53r5
EFS.1,AwsEfsFileSystem,regional,MEDIUM,fsbp cis5 nist53r5 cis30
EFS.2,AwsEfsFileSystem,regional,MEDIUM,fsbp nist53r5
EFS.3,AwsEfsAccessPoint,regional,MEDIUM,fsbp nist53r5
EFS.4,AwsEfsAccessPoint,regional,MEDIUM,fsbp nist53r5
EKS.1,AwsEksCluster,regional,HIGH,fsbp nist53r5
EKS.2,AwsEksCluster,regional,HIGH,fsbp nist53r5
EKS.8,AwsEksCluster,regional,MEDIUM,fsbp nist53r5
ElastiCache.1,AwsElastiCacheCacheCluster,regional,HIGH,fsbp nist53r5
ElastiCache.2,AwsElastiCacheCacheCluster,regional,HIGH,fsbp nist53r5
ElastiCache.3,AwsElastiCacheReplicationGroup,regional,MEDIUM,fsbp nist53r5
ElastiCache.4,AwsElastiCacheReplicationGroup,regional,MEDIUM,fsbp nist53r5
ElastiCache.5,AwsElastiCacheReplicationGroup,regional,MEDIUM,fsbp nist53r5
ELB.1,AwsElbv2LoadBalancer,regional,MEDIUM,fsbp pci321 nist53r5
ELB.2,AwsElbLoadBalancer,regional,MEDIUM,fsbp nist53r5
ELB.3,AwsElbLoadBalancer,regional,MEDIUM,fsbp nist53r5
ELB.4,AwsElbv2LoadBalancer,regional,MEDIUM,fsbp nist53r5
ELB.5,AwsElbv2LoadBalancer,regional,MEDIUM,fsbp nist53r5
ELB.6,AwsElbv2LoadBalancer,regional,MEDIUM,fsbp nist53r5
ELB.10,AwsElbLoadBalancer,regional,MEDIUM,fsbp nist53r5
ELB.12,AwsElbv2LoadBalancer,regional,MEDIUM,fsbp nist53r5
ELB.13,AwsElbv2LoadBalancer,regional,MEDIUM,fsbp nist53r5
ELB.16,AwsElbv2LoadBalancer,regional,MEDIUM,nist53r5
GuardDuty.1,AwsAccount,regional,HIGH,fsbp pci321 nist53r5
IAM.1,AwsIamPolicy,global,HIGH,fsbp cis5 pci321 nist53r5 cis12 cis14 cis30
IAM.2,AwsIamUser,global,LOW,fsbp cis5 pci321 nist53r5 cis14 cis30
IAM.3,AwsIamUser,global,MEDIUM,fsbp cis5 nist53r5 cis12 cis14 cis30
IAM.4,AwsAccount,global,CRITICAL,fsbp cis5 pci321 nist53r5 cis12 cis14 cis30
IAM.5,AwsIamUser,global,MEDIUM,fsbp cis5 nist53r5 cis12 cis14 cis30
IAM.6,AwsAccount,global,CRITICAL,cis5 pci321 nist53r5 cis12 cis14 cis30
IAM.7,AwsAccount,global,MEDIUM,fsbp nist53r5
IAM.8,AwsIamUser,global,MEDIUM,pci321 nist53r5 cis12
IAM.9,AwsAccount,global,CRITICAL,cis5 pci321 nist53r5 cis12 cis14 cis30
IAM.10,AwsAccount,global,MEDIUM,pci321
IAM.15,AwsAccount,global,MEDIUM,cis5 cis12 cis14 cis30
IAM.16,AwsAccount,global,LOW,cis5 cis12 cis14 cis30
IAM.18,AwsAccount,global,LOW,cis5 cis12 cis14 cis30
IAM.19,AwsIamUser,global,MEDIUM,pci321 nist53r5
IAM.21,AwsIamPolicy,global,LOW,fsbp nist53r5
IAM.22,AwsIamUser,global,MEDIUM,cis5 cis14 cis30
IAM.26,AwsAccount,global,MEDIUM,cis5 cis30
IAM.27,AwsIamRole,global,MEDIUM,cis5 cis30
IAM.28,AwsAccount,regional,HIGH,cis5 cis30
Inspector.1,AwsAccount,regional,HIGH,fsbp nist53r5
Inspector.2,AwsAccount,regional,HIGH,fsbp nist53r5
Inspector.3,AwsAccount,regional,HIGH,fsbp nist53r5
Kinesis.1,AwsKinesisStream,regional,MEDIUM,fsbp nist53r5
KMS.1,AwsIamPolicy,global,MEDIUM,fsbp nist53r5
KMS.2,AwsIamRole,global,MEDIUM,fsbp nist53r5
KMS.3,AwsKmsKey,regional,CRITICAL,fsbp nist53r5
KMS.4,AwsKmsKey,regional,MEDIUM,cis5 pci321 nist53r5 cis12 cis14 cis30
KMS.5,AwsKmsKey,regional,CRITICAL,fsbp nist53r5
Lambda.1,AwsLambdaFunction,regional,CRITICAL,fsbp pci321 nist53r5
Lambda.2,AwsLambdaFunction,regional,MEDIUM,fsbp nist53r5
Lambda.3,AwsLambdaFunction,regional,LOW,pci321 nist53r5
Lambda.5,AwsLambdaFunction,regional,MEDIUM,fsbp nist53r5
Macie.1,AwsAccount,regional,MEDIUM,fsbp nist53r5
NetworkFirewall.3,AwsNetworkFirewallFirewallPolicy,regional,MEDIUM,fsbp nist53r5
NetworkFirewall.6,AwsNetworkFirewallRuleGroup,regional,MEDIUM,fsbp nist53r5
Opensearch.1,AwsOpenSearchServiceDomain,regional,MEDIUM,fsbp nist53r5
Opensearch.2,AwsOpenSearchServiceDomain,regional,CRITICAL,fsbp nist53r5
Opensearch.3,AwsOpenSearchServiceDomain,regional,MEDIUM,fsbp nist53r5
RDS.1,AwsRdsDbSnapshot,regional,CRITICAL,fsbp pci321 nist53r5
RDS.2,AwsRdsDbInstance,regional,CRITICAL,fsbp cis5 pci321 nist53r5 cis30
RDS.3,AwsRdsDbInstance,regional,MEDIUM,fsbp cis5 nist53r5 cis14 cis30
RDS.4,AwsRdsDbClusterSnapshot,regional,MEDIUM,fsbp nist53r5
RDS.5,AwsRdsDbInstance,regional,MEDIUM,fsbp nist53r5
RDS.6,AwsRdsDbInstance,regional,LOW,fsbp nist53r5
RDS.7,AwsRdsDbCluster,regional,LOW,fsbp nist53r5
RDS.8,AwsRdsDbInstance,regional,LOW,fsbp nist53r5
RDS.9,AwsRdsDbInstance,regional,MEDIUM,fsbp nist53r5
RDS.10,AwsRdsDbInstance,regional,MEDIUM,fsbp nist53r5
RDS.11,AwsRdsDbInstance,regional,MEDIUM,fsbp nist53r5
RDS.12,AwsRdsDbCluster,regional,MEDIUM,fsbp nist53r5
RDS.13,AwsRdsDbInstance,regional,HIGH,fsbp cis5 pci321 nist53r5 cis30
RDS.14,AwsRdsDbCluster,regional,MEDIUM,fsbp nist53r5
RDS.15,AwsRdsDbCluster,regional,MEDIUM,fsbp nist53r5
RDS.19,AwsRdsEventSubscription,regional,LOW,fsbp nist53r5
RDS.23,AwsRdsDbInstance,regional,LOW,fsbp nist53r5
Redshift.1,AwsRedshiftCluster,regional,CRITICAL,fsbp pci321 nist53r5
Redshift.2,AwsRedshiftCluster,regional,MEDIUM,fsbp nist53r5
Redshift.3,AwsRedshiftCluster,regional,MEDIUM,fsbp nist53r5
Route53.2,AwsRoute53HostedZone,global,MEDIUM,nist53r5
S3.1,AwsAccount,regional,MEDIUM,fsbp cis5 pci321 nist53r5 cis14 cis30
S3.2,AwsS3Bucket,regional,CRITICAL,fsbp pci321 nist53r5
S3.3,AwsS3Bucket,regional,CRITICAL,fsbp pci321 nist53r5
S3.5,AwsS3Bucket,regional,MEDIUM,fsbp cis5 pci321 nist53r5 cis14 cis30
S3.6,AwsS3Bucket,regional,HIGH,fsbp nist53r5
S3.7,AwsS3Bucket,regional,LOW,pci321 nist53r5
S3.8,AwsS3Bucket,regional,HIGH,fsbp cis5 nist53r5 cis14 cis30
S3.9,AwsS3Bucket,regional,MEDIUM,fsbp nist53r5
S3.11,AwsS3Bucket,regional,MEDIUM,fsbp nist53r5
S3.12,AwsS3Bucket,regional,MEDIUM,fsbp nist53r5
S3.13,AwsS3Bucket,regional,LOW,fsbp nist53r5
S3.15,AwsS3Bucket,regional,MEDIUM,nist53r5
S3.17,AwsS3Bucket,regional,MEDIUM,nist53r5
S3.20,AwsS3Bucket,regional,LOW,cis5 cis30 nist53r5
SageMaker.1,AwsSageMakerNotebookInstance,regional,HIGH,fsbp pci321 nist53r5
SecretsManager.1,AwsSecretsManagerSecret,regional,MEDIUM,fsbp nist53r5
SecretsManager.2,AwsSecretsManagerSecret,regional,MEDIUM,fsbp nist53r5
SecretsManager.3,AwsSecretsManagerSecret,regional,MEDIUM,fsbp nist53r5
SecretsManager.4,AwsSecretsManagerSecret,regional,MEDIUM,fsbp nist53r5
SecurityHub.1,AwsAccount,regional,HIGH,nist53r5
SNS.1,AwsSnsTopic,regional,MEDIUM,nist53r5
SQS.1,AwsSqsQueue,regional,MEDIUM,fsbp nist53r5
SSM.1,AwsEc2Instance,regional,MEDIUM,fsbp pci321 nist53r5
SSM.2,AwsSsmPatchCompliance,regional,HIGH,fsbp pci321 nist53r5
SSM.3,AwsSsmAssociationCompliance,regional,LOW,fsbp pci321 nist53r5
SSM.4,AwsSsmDocument,regional,CRITICAL,fsbp nist53r5
StepFunctions.1,AwsStepFunctionStateMachine,regional,MEDIUM,fsbp nist53r5
Transfer.2,AwsTransferServer,regional,MEDIUM,fsbp nist53r5
WAF.10,AwsWafv2WebAcl,regional,MEDIUM,fsbp nist53r5
`

var (
	testCatalogsMu sync.Mutex
	testCatalogs   = map[string]*catalog.Catalog{}
)

// testCatalog is the shipped standards with the given controls (lines of bigControls' format),
// parsed once per test binary.
func testCatalog(t testing.TB, controls string) *catalog.Catalog {
	t.Helper()
	testCatalogsMu.Lock()
	defer testCatalogsMu.Unlock()
	if c, ok := testCatalogs[controls]; ok {
		return c
	}
	def, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	f := &catalog.File{Source: "test", Retrieved: def.Retrieved}
	for _, s := range def.Standards {
		f.Standards = append(f.Standards, catalog.FileStandard(s))
	}
	for _, line := range strings.Split(strings.TrimSpace(controls), "\n") {
		p := strings.Split(line, ",")
		f.Controls = append(f.Controls, catalog.FileControl{ID: p[0], Title: p[0] + " control title", Severity: p[3],
			ResourceType: p[1], Scope: p[2], Standards: strings.Fields(p[4])})
	}
	c, err := catalog.FromFile(f)
	if err != nil {
		t.Fatal(err)
	}
	testCatalogs[controls] = c
	return c
}

// bigCatalog approximates the real catalog at about half its size.
func bigCatalog(t testing.TB) *catalog.Catalog { return testCatalog(t, bigControls) }

// tinyCatalog keeps tests that walk all 90 days fast.
func tinyCatalog(t testing.TB) *catalog.Catalog {
	return testCatalog(t, "IAM.6,AwsAccount,global,CRITICAL,cis5 pci321\nS3.5,AwsS3Bucket,regional,MEDIUM,fsbp cis5")
}

// catalogs are the catalogs every property is checked against.
func catalogs(t *testing.T) map[string]*catalog.Catalog {
	def, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*catalog.Catalog{"default": def, "big": bigCatalog(t)}
}

func forCatalogs(t *testing.T, fn func(t *testing.T, cat *catalog.Catalog)) {
	cats := catalogs(t)
	names := make([]string, 0, len(cats))
	for n := range cats {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) { fn(t, cats[n]) })
	}
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*memSink{}
)

// cachedSnapshot computes each (catalog, day) of the default organization once per test binary.
func cachedSnapshot(t *testing.T, cat *catalog.Catalog, d int) *memSink {
	t.Helper()
	key := fmt.Sprintf("%p/%d", cat, d)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if s, ok := cache[key]; ok {
		return s
	}
	s := snapshot(t, newOrg(t, Config{Catalog: cat}), d)
	cache[key] = s
	return s
}

func TestDefaults(t *testing.T) {
	o := newOrg(t, Config{})
	cfg := o.Config()
	if cfg.Accounts != 50 || cfg.Days != 90 || cfg.Seed != 1 || !cfg.End.Equal(DefaultEnd) {
		t.Errorf("defaults: got %+v", cfg)
	}
	if got := o.Organization(); got != "acme-corp" {
		t.Errorf("Organization() = %q", got)
	}
	if got, want := o.Regions(), []string{"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"}; !slices.Equal(got, want) {
		t.Errorf("Regions() = %v, want %v", got, want)
	}
	if got, want := o.Standards(), []string{
		"standards/cis-aws-foundations-benchmark/v/5.0.0",
		"standards/aws-foundational-security-best-practices/v/1.0.0",
		"standards/pci-dss/v/3.2.1",
		"standards/nist-800-53/v/5.0.0",
	}; !slices.Equal(got, want) {
		t.Errorf("Standards() = %v, want %v", got, want)
	}
	times := o.SnapshotTimes()
	if len(times) != 90 || !times[89].Equal(DefaultEnd) || !times[0].Equal(DefaultEnd.AddDate(0, 0, -89)) {
		t.Errorf("SnapshotTimes: %d times, %v .. %v", len(times), times[0], times[len(times)-1])
	}

	accounts := o.Accounts()
	if len(accounts) != 50 {
		t.Fatalf("%d accounts, want 50", len(accounts))
	}
	ids, names := map[string]bool{}, map[string]bool{}
	for _, a := range accounts {
		if len(a.AccountID) != 12 || strings.Trim(a.AccountID, "0123456789") != "" {
			t.Errorf("account id %q is not 12 digits", a.AccountID)
		}
		if ids[a.AccountID] || names[a.Name] {
			t.Errorf("duplicate account %s %s", a.AccountID, a.Name)
		}
		ids[a.AccountID], names[a.Name] = true, true
		// The management account sits at the root: the only account without an OU path.
		if (a.OU == "") != (a.Name == "management") || !strings.Contains(a.Email, "@") {
			t.Errorf("account %+v lacks an OU or email (or is the management account with one)", a)
		}
	}
	for _, n := range []string{"management", "security-tooling", "log-archive"} {
		if !names[n] {
			t.Errorf("no %s account", n)
		}
	}
	if !ids[o.AdministratorAccount()] {
		t.Errorf("administrator %s is not a member", o.AdministratorAccount())
	}
	ous := map[string]int{}
	for _, a := range accounts {
		ous[a.OU]++
		if a.Owner == "" {
			t.Errorf("account %s (%s) has no owner", a.AccountID, a.Name)
		}
	}
	for _, ou := range []string{"Workloads/Prod", "Workloads/Non-Prod", "Sandbox", "Security", "Infrastructure"} {
		if ous[ou] == 0 {
			t.Errorf("no account in OU %s (%v)", ou, ous)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{Accounts: -1}, {Days: -3}, {Accounts: maxAccounts + 1}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v): no error", cfg)
		} else if _, ok := err.(*ConfigError); !ok {
			t.Errorf("New(%+v): %T, want *ConfigError", cfg, err)
		}
	}
	o := newOrg(t, Config{Days: 3})
	if err := o.Snapshot(context.Background(), 3, &memSink{}); err == nil {
		t.Error("Snapshot(3) of 3 days: no error")
	}
}

func TestSmallOrganizations(t *testing.T) {
	for _, n := range []int{1, 3, 8, 12, 130} {
		o := newOrg(t, Config{Accounts: n, Days: 5})
		if got := len(o.Accounts()); got != n {
			t.Errorf("Accounts: %d: got %d", n, got)
		}
		s := snapshot(t, o, 4)
		if len(s.Coverage) != n*4 {
			t.Errorf("Accounts: %d: %d coverage rows", n, len(s.Coverage))
		}
	}
}

func TestDeterministic(t *testing.T) {
	cat := bigCatalog(t)
	a := snapshot(t, newOrg(t, Config{Catalog: cat}), 89).digest()
	b := snapshot(t, newOrg(t, Config{Catalog: cat}), 89).digest()
	if a != b {
		t.Errorf("two runs differ: %s vs %s", a, b)
	}
	other := snapshot(t, newOrg(t, Config{Catalog: cat, Seed: 2}), 89).digest()
	if other == a {
		t.Error("seed 2 gives the same snapshot as seed 1")
	}
}

// TestPureFunctionOfDay: day 89 does not depend on which days were computed before it.
func TestPureFunctionOfDay(t *testing.T) {
	cat := bigCatalog(t)
	fresh := snapshot(t, newOrg(t, Config{Catalog: cat}), 89).digest()
	o := newOrg(t, Config{Catalog: cat})
	for _, d := range []int{89, 0, 45, 88} {
		snapshot(t, o, d)
	}
	if again := snapshot(t, o, 89).digest(); again != fresh {
		t.Errorf("day 89 after other days differs from day 89 computed alone")
	}
	// Different ends shift the calendar but not the structure.
	shifted := snapshot(t, newOrg(t, Config{Catalog: cat, End: DefaultEnd.AddDate(0, 0, 7)}), 89)
	if n, m := len(shifted.Findings), len(cachedSnapshot(t, cat, 89).Findings); n != m {
		t.Errorf("End+7d: %d findings, want %d", n, m)
	}
}

func TestConcurrentSnapshots(t *testing.T) {
	o := newOrg(t, Config{Days: 10, Catalog: tinyCatalog(t)})
	want := snapshot(t, o, 9).digest()
	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &memSink{}
			if err := o.Snapshot(context.Background(), 9, s); err == nil {
				got[i] = s.digest()
			}
		}()
	}
	wg.Wait()
	for i, g := range got {
		if g != want {
			t.Errorf("goroutine %d: digest differs", i)
		}
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newOrg(t, Config{Days: 2}).Snapshot(ctx, 1, &memSink{}); err == nil {
		t.Error("cancelled context: no error")
	}
}

func isControl(f *model.Finding) bool { return f.ControlID != "" }

func TestCounts(t *testing.T) {
	forCatalogs(t, func(t *testing.T, cat *catalog.Catalog) {
		for _, d := range []int{0, 89} {
			s := cachedSnapshot(t, cat, d)
			control, other := 0, 0
			products := map[string]int{}
			severities := map[string]int{}
			for _, f := range s.Findings {
				if isControl(f) {
					control++
				} else {
					other++
					products[f.ProductName]++
					severities[f.SeverityLabel]++
				}
			}
			t.Logf("day %d: %d control findings, %d others %v %v", d, control, other, products, severities)
			lo, hi := 1000, 60000
			if len(cat.Controls) >= 120 {
				lo = 30000 // the real catalog's size
			}
			if control < lo || control > hi {
				t.Errorf("day %d: %d control findings, want %d..%d", d, control, lo, hi)
			}
			if other < 200 || other > 2500 {
				t.Errorf("day %d: %d non-control findings, want 200..2500", d, other)
			}
			for _, p := range []string{"GuardDuty", "Inspector", "Macie"} {
				if products[p] == 0 {
					t.Errorf("day %d: no %s findings", d, p)
				}
			}
			for _, sev := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"} {
				if severities[sev] == 0 {
					t.Errorf("day %d: no %s non-control findings", d, sev)
				}
			}
			if severities["CRITICAL"] > severities["HIGH"] {
				t.Errorf("day %d: more CRITICAL than HIGH non-control findings: %v", d, severities)
			}
			if len(s.Accounts) != 50 || len(s.Coverage) != 200 {
				t.Errorf("day %d: %d accounts, %d coverage rows", d, len(s.Accounts), len(s.Coverage))
			}
		}
	})
}

func TestFindingShape(t *testing.T) {
	forCatalogs(t, func(t *testing.T, cat *catalog.Catalog) {
		o := newOrg(t, Config{Catalog: cat})
		home := o.Regions()[0]
		enabled := map[string]bool{}
		for _, s := range o.Standards() {
			enabled[s] = true
		}
		accounts := map[string]bool{}
		for _, a := range o.Accounts() {
			accounts[a.AccountID] = true
		}
		for _, d := range []int{0, 89} {
			s := cachedSnapshot(t, cat, d)
			at := o.SnapshotTimes()[d]
			seen := map[string]bool{}
			for _, f := range s.Findings {
				key := f.ProductARN + "|" + f.ID
				if seen[key] {
					t.Fatalf("day %d: duplicate finding %s", d, f.ID)
				}
				seen[key] = true
				if !accounts[f.AccountID] || !slices.Contains(o.Regions(), f.Region) {
					t.Fatalf("finding %s: account %s region %s", f.ID, f.AccountID, f.Region)
				}
				if f.CreatedAt.IsZero() || f.UpdatedAt.Before(f.CreatedAt) || f.UpdatedAt.After(at) || !f.FirstObservedAt.Equal(f.CreatedAt) {
					t.Fatalf("finding %s: created %v updated %v snapshot %v", f.ID, f.CreatedAt, f.UpdatedAt, at)
				}
				if f.RecordState != "ACTIVE" && f.RecordState != "ARCHIVED" {
					t.Fatalf("finding %s: record state %q", f.ID, f.RecordState)
				}
				if !strings.HasPrefix(f.ProductARN, "arn:aws:securityhub:"+f.Region+"::product/aws/") {
					t.Fatalf("finding %s: product %s", f.ID, f.ProductARN)
				}
				if !isControl(f) {
					if f.ComplianceStatus != "" || len(f.Standards) != 0 {
						t.Fatalf("non-control finding %s has compliance %q standards %v", f.ID, f.ComplianceStatus, f.Standards)
					}
					continue
				}
				ctl, ok := cat.Control(f.ControlID)
				if !ok {
					t.Fatalf("finding %s: control %s is not in the catalog", f.ID, f.ControlID)
				}
				if ctl.Global && f.Region != home {
					t.Fatalf("global control %s in %s", f.ControlID, f.Region)
				}
				if len(f.Standards) == 0 {
					t.Fatalf("finding %s: no standards", f.ID)
				}
				for _, sid := range f.Standards {
					if !enabled[sid] || !slices.Contains(ctl.Standards, sid) {
						t.Fatalf("finding %s: standard %s not enabled or not of %s %v", f.ID, sid, f.ControlID, ctl.Standards)
					}
				}
				wantPrefix := "arn:aws:securityhub:" + f.Region + ":" + f.AccountID + ":security-control/" + f.ControlID + "/finding/"
				if !strings.HasPrefix(f.ID, wantPrefix) || len(f.ID) != len(wantPrefix)+36 {
					t.Fatalf("finding id %s, want %s<uuid>", f.ID, wantPrefix)
				}
				if f.ProductName != "Security Hub" || f.CompanyName != "AWS" || f.GeneratorID != "security-control/"+f.ControlID ||
					f.Type != "Software and Configuration Checks/Industry and Regulatory Standards" || f.Title != ctl.Title ||
					f.ResourceType != ctl.ResourceType || f.ResourceID == "" {
					t.Fatalf("finding %+v does not look like a consolidated control finding", *f)
				}
				if ctl.ResourceType == "AwsAccount" && f.ResourceID != "AWS::::Account:"+f.AccountID {
					t.Fatalf("account-level finding resource %s", f.ResourceID)
				}
				switch f.ComplianceStatus {
				case "PASSED":
					if f.SeverityLabel != "INFORMATIONAL" || f.SeverityNormalized != 0 {
						t.Fatalf("passed finding %s: severity %s/%d", f.ID, f.SeverityLabel, f.SeverityNormalized)
					}
					if f.WorkflowStatus != "RESOLVED" && f.WorkflowStatus != "SUPPRESSED" {
						t.Fatalf("passed finding %s: workflow %s", f.ID, f.WorkflowStatus)
					}
				case "FAILED", "WARNING", "NOT_AVAILABLE":
					if f.SeverityLabel != ctl.Severity || f.SeverityNormalized != normalized(ctl.Severity) {
						t.Fatalf("finding %s: severity %s/%d, control %s", f.ID, f.SeverityLabel, f.SeverityNormalized, ctl.Severity)
					}
					if f.WorkflowStatus == "RESOLVED" {
						t.Fatalf("%s finding %s is RESOLVED", f.ComplianceStatus, f.ID)
					}
				default:
					t.Fatalf("finding %s: compliance %q", f.ID, f.ComplianceStatus)
				}
			}
		}
	})
}

// TestStatusMix: besides PASSED and FAILED a small share is WARNING or NOT_AVAILABLE, some
// findings are ARCHIVED, some NOTIFIED, and not every control has data in every account.
func TestStatusMix(t *testing.T) {
	cat := bigCatalog(t)
	s := cachedSnapshot(t, cat, 60)
	count := map[string]int{}
	total := 0
	pairs := map[string]bool{}
	for _, f := range s.Findings {
		if !isControl(f) {
			continue
		}
		total++
		count[f.ComplianceStatus]++
		count[f.RecordState]++
		count[f.WorkflowStatus]++
		pairs[f.AccountID+"|"+f.ControlID] = true
	}
	t.Logf("%d control findings: %v", total, count)
	odd := float64(count["WARNING"]+count["NOT_AVAILABLE"]) / float64(total)
	if count["WARNING"] == 0 || count["NOT_AVAILABLE"] == 0 || odd > 0.04 {
		t.Errorf("WARNING %d NOT_AVAILABLE %d of %d", count["WARNING"], count["NOT_AVAILABLE"], total)
	}
	if count["ARCHIVED"] == 0 || count["NOTIFIED"] == 0 {
		t.Errorf("no ARCHIVED or NOTIFIED findings: %v", count)
	}
	if full := 50 * len(cat.Controls); len(pairs) > full*9/10 {
		t.Errorf("%d of %d account/control pairs have data: too few NO_DATA", len(pairs), full)
	}
}

type rate struct{ passed, total int }

func (r rate) pct() float64 { return 100 * float64(r.passed) / float64(max(1, r.total)) }

// passRates is the share of PASSED among active, unsuppressed control findings, overall and by
// account environment.
func passRates(s *memSink, o *Org) (rate, map[string]rate) {
	env := map[string]string{}
	for _, a := range o.accounts {
		env[a.AccountID] = a.env
	}
	var all rate
	by := map[string]rate{}
	for _, f := range s.Findings {
		if !isControl(f) || f.RecordState != "ACTIVE" || f.WorkflowStatus == "SUPPRESSED" {
			continue
		}
		r := by[env[f.AccountID]]
		all.total++
		r.total++
		if f.ComplianceStatus == "PASSED" {
			all.passed++
			r.passed++
		}
		by[env[f.AccountID]] = r
	}
	return all, by
}

// TestImprovingTrend checks the share of passing findings. It is not the score the product shows
// (TestOrganizationScoresAreRealistic checks that one): failures concentrate on a minority of
// controls, so most findings pass, and the share rises as campaigns and teams fix them.
func TestImprovingTrend(t *testing.T) {
	forCatalogs(t, func(t *testing.T, cat *catalog.Catalog) {
		o := newOrg(t, Config{Catalog: cat})
		first, _ := passRates(cachedSnapshot(t, cat, 0), o)
		last, byEnv := passRates(cachedSnapshot(t, cat, 89), o)
		t.Logf("pass rate day 0 %.1f%%, day 89 %.1f%%; prod %.1f%% staging %.1f%% dev %.1f%% sandbox %.1f%% core %.1f%%",
			first.pct(), last.pct(), byEnv[envProd].pct(), byEnv[envStaging].pct(), byEnv[envDev].pct(),
			byEnv[envSandbox].pct(), byEnv[envFoundation].pct())
		if last.pct()-first.pct() < 4 {
			t.Errorf("pass rate rose from %.1f%% to %.1f%%, want at least 4 points", first.pct(), last.pct())
		}
		if byEnv[envProd].pct() <= byEnv[envSandbox].pct()+10 {
			t.Errorf("prod %.1f%% is not clearly better than sandbox %.1f%%", byEnv[envProd].pct(), byEnv[envSandbox].pct())
		}
		if len(cat.Controls) >= 120 {
			if first.pct() < 70 || first.pct() > 85 || last.pct() < 80 || last.pct() > 92 {
				t.Errorf("pass rate %.1f%% -> %.1f%%, want about 75-80%% -> 85-90%%", first.pct(), last.pct())
			}
		}
	})
}

func hasMarker(f *model.Finding) bool {
	has := func(s string) bool {
		for _, m := range AutomationMarkers {
			if strings.Contains(strings.ToLower(s), strings.ToLower(m)) {
				return true
			}
		}
		return false
	}
	if has(f.NoteUpdatedBy) {
		return true
	}
	for k, v := range f.UserDefinedFields {
		if has(k) || has(v) {
			return true
		}
	}
	return false
}

// TestRemediationsAndRegressions follows findings day by day over the last three weeks.
func TestRemediationsAndRegressions(t *testing.T) {
	o := newOrg(t, Config{})
	var fixed, auto, regressed, created, archived, gone, stable, stableMoved int
	prev := map[string]*model.Finding{}
	for _, f := range snapshot(t, o, 68).Findings {
		prev[f.ID] = f
	}
	for d := 69; d < 90; d++ {
		cur := map[string]*model.Finding{}
		for _, f := range snapshot(t, o, d).Findings {
			cur[f.ID] = f
			p, ok := prev[f.ID]
			if !ok {
				if isControl(f) {
					created++
				}
				continue
			}
			if !isControl(f) {
				continue
			}
			switch {
			case p.ComplianceStatus == "FAILED" && f.ComplianceStatus == "PASSED" && f.RecordState == "ACTIVE":
				fixed++
				if f.WorkflowStatus != "RESOLVED" && f.WorkflowStatus != "SUPPRESSED" {
					t.Errorf("fixed finding %s: workflow %s", f.ID, f.WorkflowStatus)
				}
				if !f.UpdatedAt.After(o.SnapshotTimes()[d-1]) {
					t.Errorf("fixed finding %s: UpdatedAt %v not after the previous snapshot", f.ID, f.UpdatedAt)
				}
				if hasMarker(f) {
					auto++
					if strings.Contains(f.NoteUpdatedBy, "AutoRemediation") && !strings.Contains(f.NoteText, "SSM Automation") {
						t.Errorf("auto-remediated %s: note %q", f.ID, f.NoteText)
					}
				}
			case p.ComplianceStatus == "PASSED" && f.ComplianceStatus == "FAILED":
				regressed++
				if f.WorkflowStatus != "NEW" && f.WorkflowStatus != "SUPPRESSED" {
					t.Errorf("regressed finding %s: workflow %s", f.ID, f.WorkflowStatus)
				}
			case p.RecordState == "ACTIVE" && f.RecordState == "ARCHIVED":
				archived++
			}
			if p.ComplianceStatus == f.ComplianceStatus && p.WorkflowStatus == f.WorkflowStatus &&
				p.RecordState == f.RecordState && p.NoteText == f.NoteText && p.NoteUpdatedBy == f.NoteUpdatedBy &&
				fmt.Sprint(p.UserDefinedFields) == fmt.Sprint(f.UserDefinedFields) {
				stable++
				if !p.UpdatedAt.Equal(f.UpdatedAt) {
					stableMoved++
				}
			}
		}
		for id, p := range prev {
			if _, ok := cur[id]; !ok && isControl(p) {
				gone++
				if p.RecordState != "ARCHIVED" {
					t.Errorf("finding %s disappeared without being archived first", id)
				}
			}
		}
		prev = cur
	}
	t.Logf("days 69-89: %d fixed (%d by automation, %.0f%%), %d regressed, %d new, %d archived, %d gone; %d stable",
		fixed, auto, 100*float64(auto)/float64(max(1, fixed)), regressed, created, archived, gone, stable)
	if fixed == 0 || regressed == 0 || created == 0 || archived == 0 || gone == 0 {
		t.Error("missing a kind of change")
	}
	if share := float64(auto) / float64(max(1, fixed)); share < 0.15 || share > 0.55 {
		t.Errorf("%.0f%% of remediations by automation, want about a third", 100*share)
	}
	if stableMoved > 0 {
		t.Errorf("%d unchanged findings changed UpdatedAt", stableMoved)
	}
}

func TestSuppressions(t *testing.T) {
	forCatalogs(t, func(t *testing.T, cat *catalog.Catalog) {
		s := cachedSnapshot(t, cat, 89)
		suppressed, failing := 0, 0
		for _, f := range s.Findings {
			if !isControl(f) || f.RecordState != "ACTIVE" {
				continue
			}
			if f.ComplianceStatus == "FAILED" {
				failing++
			}
			if f.WorkflowStatus != "SUPPRESSED" {
				continue
			}
			suppressed++
			if f.NoteText == "" || !strings.Contains(f.NoteUpdatedBy, "@") || f.NoteUpdatedAt.IsZero() {
				t.Errorf("suppressed finding %s: note %q by %q at %v", f.ID, f.NoteText, f.NoteUpdatedBy, f.NoteUpdatedAt)
			}
		}
		share := float64(suppressed) / float64(max(1, failing))
		t.Logf("%d suppressed of %d failing (%.1f%%)", suppressed, failing, 100*share)
		if suppressed == 0 || (len(cat.Controls) >= 120 && (share < 0.01 || share > 0.05)) {
			t.Errorf("%d suppressed of %d failing, want about 2-3%%", suppressed, failing)
		}
	})
}

func TestDisabledControls(t *testing.T) {
	o := newOrg(t, Config{})
	dis := o.DisabledControls(89)
	if len(dis) == 0 {
		t.Fatal("no disabled controls")
	}
	if len(o.DisabledControls(0)) != 0 {
		t.Error("controls disabled before the window")
	}
	d := dis[0]
	day := sort.Search(90, func(i int) bool { return !o.SnapshotTimes()[i].Before(d.Since) })
	key := func(f *model.Finding) bool { return f.AccountID == d.AccountID && f.ControlID == d.ControlID }
	state := func(day int) string {
		for _, f := range snapshot(t, o, day).Findings {
			if key(f) {
				return f.RecordState
			}
		}
		return "gone"
	}
	if got := state(day - 1); got != "ACTIVE" {
		t.Errorf("%s in %s the day before it was disabled: %s", d.ControlID, d.AccountID, got)
	}
	if got := state(day); got != "ARCHIVED" {
		t.Errorf("%s in %s the day it was disabled: %s", d.ControlID, d.AccountID, got)
	}
	if got := state(day + archivedDays); got != "gone" {
		t.Errorf("%s in %s %d days after it was disabled: %s", d.ControlID, d.AccountID, archivedDays, got)
	}
}

func TestCoverage(t *testing.T) {
	o := newOrg(t, Config{Catalog: tinyCatalog(t)})
	for _, d := range []int{89, 0} {
		s := snapshot(t, o, d)
		for _, c := range s.Coverage {
			if c.Status != model.CoverageCollected {
				t.Errorf("day %d: %s/%s %s", d, c.AccountID, c.Region, c.Status)
			}
		}
	}
	gaps := map[string]int{}
	for d := 0; d < 89; d++ {
		s := snapshot(t, o, d)
		missing := map[string]bool{}
		for _, c := range s.Coverage {
			if c.Status != model.CoverageCollected {
				gaps[c.Status]++
				missing[c.AccountID+"|"+c.Region] = true
				if c.Reason == "" {
					t.Errorf("day %d: %s/%s %s without a reason", d, c.AccountID, c.Region, c.Status)
				}
			}
		}
		for _, f := range s.Findings {
			if missing[f.AccountID+"|"+f.Region] {
				t.Fatalf("day %d: finding %s from an uncollected pair", d, f.ID)
			}
		}
	}
	// One sandbox account denied for two days (all four regions), one region not enabled for a week.
	if gaps[model.CoverageDenied] != 8 || gaps[model.CoverageNotEnabled] != 7 {
		t.Errorf("gaps: %v", gaps)
	}
}

func TestResourceIDs(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	s := cachedSnapshot(t, cat, 89)
	byType := map[string]string{}
	for _, f := range s.Findings {
		if _, ok := byType[f.ResourceType]; !ok {
			byType[f.ResourceType] = f.ResourceID
		}
	}
	types := make([]string, 0, len(byType))
	for k := range byType {
		types = append(types, k)
	}
	sort.Strings(types)
	for _, k := range types {
		id := byType[k]
		t.Logf("%-34s %s", k, id)
		if !strings.HasPrefix(id, "arn:aws:") && !strings.HasPrefix(id, "AWS::") {
			t.Errorf("%s: resource id %q is not an ARN", k, id)
		}
	}
}

func BenchmarkSnapshot(b *testing.B) {
	o := newOrg(b, Config{})
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		s := &countSink{}
		if err := o.Snapshot(context.Background(), 89, s); err != nil {
			b.Fatal(err)
		}
		n += s.n
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "findings/s")
	b.ReportMetric(float64(n)/float64(b.N), "findings/op")
}

type countSink struct{ n int }

func (s *countSink) AddFinding(*model.Finding) error  { s.n++; return nil }
func (s *countSink) AddAccount(model.Account) error   { return nil }
func (s *countSink) AddCoverage(model.Coverage) error { return nil }

// Control statuses of the reference scoring, ordered so that the worst wins.
const (
	ctlPassed = iota + 1
	ctlUnknown
	ctlFailed
)

// controlStatuses is AWS's control status per standard and control over findings (a scope: the
// organization, or one account): FAILED if any active, unsuppressed control finding FAILED; else
// UNKNOWN if any is WARNING or NOT_AVAILABLE; else PASSED if any PASSED. Controls without such
// findings have no data and are absent. It is an independent reference for the analyze package's
// scoring (see DESIGN.md, "Compliance math"), kept here to tune the demo against.
func controlStatuses(findings []*model.Finding) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, f := range findings {
		if !isControl(f) || f.RecordState != "ACTIVE" || f.WorkflowStatus == "SUPPRESSED" {
			continue
		}
		var st int
		switch f.ComplianceStatus {
		case "PASSED":
			st = ctlPassed
		case "FAILED":
			st = ctlFailed
		case "WARNING", "NOT_AVAILABLE":
			st = ctlUnknown
		default:
			continue
		}
		for _, s := range f.Standards {
			m := out[s]
			if m == nil {
				m = map[string]int{}
				out[s] = m
			}
			m[f.ControlID] = max(m[f.ControlID], st)
		}
	}
	return out
}

// standardScores is the score of each standard, PASSED / (PASSED + FAILED + UNKNOWN) controls in
// percent, and the summary score, their mean. Standards without data are left out of both.
func standardScores(statuses map[string]map[string]int, standards []string) (map[string]float64, float64) {
	scores := map[string]float64{}
	sum := 0.0
	for _, s := range standards {
		m := statuses[s]
		if len(m) == 0 {
			continue
		}
		passed := 0
		for _, st := range m {
			if st == ctlPassed {
				passed++
			}
		}
		scores[s] = 100 * float64(passed) / float64(len(m))
		sum += scores[s]
	}
	return scores, sum / float64(max(1, len(scores)))
}

// TestOrganizationScoresAreRealistic checks the score the product shows, AWS's control-level
// score, rather than the share of passing findings: for the organization a control fails if any
// of its findings fails anywhere, so the demo must concentrate failures on a minority of hard
// controls and improve by making controls clean everywhere. The figures are those a security
// lead would believe of a 50-account organization.
func TestOrganizationScoresAreRealistic(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	o := newOrg(t, Config{Catalog: cat})
	stds := o.Standards()
	name := map[string]string{}
	for _, k := range enabledStandards {
		if s, ok := cat.Standard(k); ok {
			name[s.ID] = k
		}
	}
	cis, fsbp := stds[slices.IndexFunc(stds, func(s string) bool { return name[s] == "cis5" })],
		stds[slices.IndexFunc(stds, func(s string) bool { return name[s] == "fsbp" })]

	// 1. Organization scores per standard: from about 60% to about 78%, rising.
	days := []int{0, 45, 89}
	org := make([]map[string]float64, len(days))
	summary := make([]float64, len(days))
	for i, d := range days {
		org[i], summary[i] = standardScores(controlStatuses(cachedSnapshot(t, cat, d).Findings), stds)
		line := fmt.Sprintf("day %2d: summary %.1f%%", d, summary[i])
		for _, s := range stds {
			line += fmt.Sprintf(", %s %.1f%%", name[s], org[i][s])
		}
		t.Log("organization " + line)
	}
	for _, s := range stds {
		first, mid, last := org[0][s], org[1][s], org[2][s]
		if first < 55 || first > 68 {
			t.Errorf("%s: organization score %.1f%% on day 0, want 55-68%%", name[s], first)
		}
		if last < 72 || last > 84 {
			t.Errorf("%s: organization score %.1f%% on day 89, want 72-84%%", name[s], last)
		}
		if mid < first-3 || mid > last+3 {
			t.Errorf("%s: organization score %.1f%% on day 45 is not on the way from %.1f%% to %.1f%%", name[s], mid, first, last)
		}
	}
	if summary[0] >= summary[1] || summary[1] >= summary[2] {
		t.Errorf("summary score %.1f%% -> %.1f%% -> %.1f%% does not rise", summary[0], summary[1], summary[2])
	}
	if org[0][cis] > org[0][fsbp] || org[2][cis] > org[2][fsbp] {
		t.Errorf("CIS (%.1f%%, %.1f%%) scores above FSBP (%.1f%%, %.1f%%): CIS is the stricter benchmark",
			org[0][cis], org[2][cis], org[0][fsbp], org[2][fsbp])
	}

	// 2. Account scores on day 89, by environment.
	last := cachedSnapshot(t, cat, 89)
	byAccount := map[string][]*model.Finding{}
	for _, f := range last.Findings {
		byAccount[f.AccountID] = append(byAccount[f.AccountID], f)
	}
	type envScores struct{ min, max, sum, n float64 }
	envs := map[string]*envScores{}
	failedIn := map[string]int{} // control -> accounts where it is FAILED
	for _, a := range o.accounts {
		statuses := controlStatuses(byAccount[a.AccountID])
		_, score := standardScores(statuses, stds)
		if score < 40 || score > 98 {
			t.Errorf("account %s (%s): score %.1f%%, want 40-98%%", a.Name, a.env, score)
		}
		e := envs[a.env]
		if e == nil {
			e = &envScores{min: 100}
			envs[a.env] = e
		}
		e.min, e.max, e.sum, e.n = min(e.min, score), max(e.max, score), e.sum+score, e.n+1
		failed := map[string]bool{}
		for _, m := range statuses {
			for c, st := range m {
				if st == ctlFailed {
					failed[c] = true
				}
			}
		}
		for c := range failed {
			failedIn[c]++
		}
	}
	for _, env := range []string{envFoundation, envProd, envStaging, envDev, envSandbox} {
		e := envs[env]
		t.Logf("day 89 %-8s accounts: %.1f-%.1f%%, mean %.1f%%", env, e.min, e.max, e.sum/e.n)
	}
	want := map[string][4]float64{ // mean range, then the range every account must be in
		envProd:    {80, 92, 78, 96},
		envSandbox: {55, 70, 50, 78},
	}
	for env, w := range want {
		e := envs[env]
		if mean := e.sum / e.n; mean < w[0] || mean > w[1] || e.min < w[2] || e.max > w[3] {
			t.Errorf("%s accounts: %.1f-%.1f%%, mean %.1f%%; want a mean of %.0f-%.0f%%, all in %.0f-%.0f%%",
				env, e.min, e.max, mean, w[0], w[1], w[2], w[3])
		}
	}
	if envs[envProd].sum/envs[envProd].n < envs[envSandbox].sum/envs[envSandbox].n+12 {
		t.Error("prod accounts are not clearly ahead of sandboxes")
	}

	// 3. Top failed controls: the worst fails in about half the accounts, with a long tail, and
	// about a quarter of the controls with data fail somewhere.
	type count struct {
		id string
		n  int
	}
	var top []count
	for c, n := range failedIn {
		top = append(top, count{c, n})
	}
	slices.SortFunc(top, func(a, b count) int { return cmp.Or(b.n-a.n, strings.Compare(a.id, b.id)) })
	withData := map[string]bool{}
	for _, m := range controlStatuses(last.Findings) {
		for c := range m {
			withData[c] = true
		}
	}
	share := 100 * float64(len(top)) / float64(len(withData))
	var b strings.Builder
	tail := 0
	for i, c := range top {
		if i < 10 {
			fmt.Fprintf(&b, " %s %d/50,", c.id, c.n)
		}
		if c.n <= 10 {
			tail++
		}
	}
	t.Logf("day 89: %d of %d controls with data FAILED somewhere (%.1f%%), %d of them in at most 10 accounts; top:%s",
		len(top), len(withData), share, tail, strings.TrimSuffix(b.String(), ","))
	if len(top) == 0 || top[0].n < 20 || top[0].n > 30 {
		t.Errorf("top failed control %v, want one failing in 20-30 of 50 accounts", top[:min(1, len(top))])
	}
	if share < 20 || share > 28 {
		t.Errorf("%.1f%% of the controls with data FAILED somewhere, want 20-28%%", share)
	}
	if tail < len(top)/8 {
		t.Errorf("only %d of %d failed controls fail in at most 10 accounts: no long tail", tail, len(top))
	}
}

// TestLargeOrganizations: the scale benchmarks build 1,000-account organizations; every size must
// build, with unique account ids and names.
func TestLargeOrganizations(t *testing.T) {
	for _, n := range []int{1, 2, 3, 572, 1000, 2000} {
		org, err := New(Config{Accounts: n, Days: 2})
		if err != nil {
			t.Fatalf("%d accounts: %v", n, err)
		}
		ids, names := map[string]bool{}, map[string]bool{}
		for _, a := range org.Accounts() {
			if ids[a.AccountID] || names[a.Name] {
				t.Fatalf("%d accounts: duplicate %s / %s", n, a.AccountID, a.Name)
			}
			ids[a.AccountID], names[a.Name] = true, true
		}
		if len(ids) < n {
			t.Errorf("%d accounts asked, %d made", n, len(ids))
		}
	}
}

// TestDisabledControlsStored: a snapshot carries its day's disabled controls, one row per account,
// region and standard of the control, as the control associations would report them; none
// before the first disablement.
func TestDisabledControlsStored(t *testing.T) {
	o := newOrg(t, Config{})
	if n := len(snapshot(t, o, 0).Disabled); n != 0 {
		t.Errorf("day 0 stores %d disabled controls, want none", n)
	}
	dis := o.DisabledControls(89)
	rows := snapshot(t, o, 89).Disabled
	want := map[string]bool{}
	for _, d := range dis {
		want[d.AccountID+" "+d.ControlID] = true
	}
	got := map[string]bool{}
	for _, r := range rows {
		if r.Source != model.DisabledByAssociation || r.Reason == "" || r.StandardID == "" || !slices.Contains(o.Regions(), r.Region) {
			t.Fatalf("row %+v", r)
		}
		got[r.AccountID+" "+r.ControlID] = true
	}
	if len(got) != len(want) || len(rows) < len(dis)*len(o.Regions()) {
		t.Errorf("%d rows cover %d account/control pairs, want %d pairs in each of %d regions", len(rows), len(got), len(want), len(o.Regions()))
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s disabled but not stored", k)
		}
	}
}
