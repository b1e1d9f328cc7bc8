package collect

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// What the external tests (package collect_test) reach inside for.

// SetCredentialWindow renews assumed-role credentials window before they expire instead of
// CredentialExpiryWindow: the emulator's credentials in tests live seconds, not an hour.
func SetCredentialWindow(o *AWSOptions, window time.Duration) { o.credentialWindow = window }

// HubClient is the Security Hub client the source uses for account/region with creds.
func (s *AWSSource) HubClient(creds aws.CredentialsProvider, account, region string) *securityhub.Client {
	return s.hubClient(creds, account, region)
}

// MemberCredentials are the source's cached credentials for a member account.
func (s *AWSSource) MemberCredentials(ctx context.Context, account string) (aws.CredentialsProvider, error) {
	return s.credentials(ctx, &memberAccount{id: account})
}

// SetConvertFinding replaces the converter of API findings until the returned func is called.
func SetConvertFinding(f func(x *types.AwsSecurityFinding, cat *catalog.Catalog) (*model.Finding, error)) (restore func()) {
	old := convertFinding
	convertFinding = f
	return func() { convertFinding = old }
}

// FromSDK is the converter SetConvertFinding replaces.
var FromSDK = fromSDK

const PaceMiddlewareID, RefreshMiddlewareID = paceMiddlewareID, refreshMiddlewareID
