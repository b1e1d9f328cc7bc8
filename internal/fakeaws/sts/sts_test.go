package sts_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/fakeawstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

const home = fakeawstest.Home

func TestAssumeRole(t *testing.T) {
	probe, err := demoaws.New(demoaws.Config{Accounts: 5}, fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	accts := probe.Accounts()
	denied := accts[len(accts)-1].AccountID
	s, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 5}, fakeaws.Options{Unlimited: true, Aggregator: true, DenyAssumeRole: []string{denied}})
	mem := fakeawstest.Member(s)
	admin := fakeawstest.STS(hs.URL, fakeawstest.ClientOptions{Creds: fakeawstest.Credentials(s.AdministratorAccount()), Retryer: aws.NopRetryer{}})
	ctx := context.Background()

	id, err := admin.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != s.AdministratorAccount() {
		t.Fatalf("GetCallerIdentity = %+v, %v", id, err)
	}

	roleARN := "arn:aws:iam::" + mem + ":role/hubreport-reader"
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(admin, roleARN))
	v, err := creds.Retrieve(ctx)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if !strings.HasPrefix(v.AccessKeyID, "ASIAFAKE"+mem) || v.SessionToken == "" || time.Until(v.Expires) < 50*time.Minute {
		t.Errorf("credentials %+v", v)
	}
	memberID, err := fakeawstest.STS(hs.URL, fakeawstest.ClientOptions{Creds: creds}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(memberID.Account) != mem ||
		!strings.HasPrefix(aws.ToString(memberID.Arn), "arn:aws:sts::"+mem+":assumed-role/hubreport-reader/") {
		t.Errorf("GetCallerIdentity as the member = %+v, %v", memberID, err)
	}
	// In the home region, where the administrator sees everything, the member sees its own.
	c := fakeawstest.SecurityHub(hs.URL, fakeawstest.ClientOptions{Creds: creds})
	fakeawstest.SameSet(t, fakeawstest.AllFindings(t, c, &securityhub.GetFindingsInput{}),
		fakeawstest.IDsWhere(s, func(f *fakeaws.Finding) bool { return f.AccountID == mem && f.Region == home }))

	for _, target := range []string{denied, "999999999999"} {
		_, err = admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + target + ":role/hubreport-reader"),
			RoleSessionName: aws.String("test")})
		if got := fakeawstest.ErrorCode(err); got != "AccessDenied" || fakeawstest.HTTPStatus(err) != http.StatusForbidden {
			t.Errorf("AssumeRole into %s: code %q status %d (%v), want AccessDenied 403", target, got, fakeawstest.HTTPStatus(err), err)
		}
	}
	if got := s.Stats().AssumeRoleDenied; got != 2 {
		t.Errorf("Stats().AssumeRoleDenied = %d, want 2", got)
	}
}
