package demo

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
