package demo

import (
	"strconv"
	"strings"
)

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
