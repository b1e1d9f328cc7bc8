package core_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

func TestParseCaller(t *testing.T) {
	for _, tc := range []struct {
		name, auth, query, want, service string
		err                              bool
	}{
		{"long-term key names the account", "AWS4-HMAC-SHA256 Credential=AKIAFAKE111111111111/20250101/eu-west-1/securityhub/aws4_request, SignedHeaders=host", "", "111111111111", "securityhub", false},
		{"temporary key", "AWS4-HMAC-SHA256 Credential=ASIAFAKE222222222222/20250101/eu-west-1/sts/aws4_request, SignedHeaders=host", "", "222222222222", "sts", false},
		{"other key acts as the default", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/eu-west-1/s3/aws4_request, SignedHeaders=host", "", "999999999999", "s3", false},
		{"presigned", "", "?X-Amz-Credential=AKIAFAKE111111111111%2F20250101%2Feu-west-1%2Fs3%2Faws4_request", "111111111111", "s3", false},
		{"no credential", "Bearer x", "", "", "", true},
		{"short scope", "AWS4-HMAC-SHA256 Credential=AKIAFAKE111111111111/20250101/eu-west-1", "", "", "", true},
		{"unsigned", "", "", "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x"+tc.query, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			c, err := core.ParseCaller(r, "999999999999")
			if tc.err {
				if !errors.Is(err, core.ErrNoAuth) {
					t.Errorf("err = %v, want ErrNoAuth", err)
				}
				return
			}
			if err != nil || c.Account != tc.want || c.Service != tc.service || c.Region != "eu-west-1" {
				t.Errorf("got %+v, %v; want account %s service %s in eu-west-1", c, err, tc.want, tc.service)
			}
		})
	}
}

func TestExpiredCredentials(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c, err := core.New(core.Config{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tok := core.SessionToken{Account: "111111111111", Role: "r", Session: "s", Expires: now.Add(time.Minute).Unix()}.Encode()
	if st, ok := core.ParseSessionToken(tok); !ok || st.Role != "r" {
		t.Fatalf("ParseSessionToken(%q) = %+v, %v", tok, st, ok)
	}
	who := core.Caller{Account: "111111111111", Session: tok}
	if c.Expired(who) || c.Expired(core.Caller{Account: "111111111111"}) {
		t.Error("live or long-term credentials counted as expired")
	}
	now = now.Add(time.Minute)
	if !c.Expired(who) || c.Stats().ExpiredTokens != 1 {
		t.Errorf("at expiry: expired %v, counted %d", c.Expired(who), c.Stats().ExpiredTokens)
	}
}

func TestQuotaPerCallerAccountAndRegion(t *testing.T) {
	c, err := core.New(core.Config{GetFindingsRate: 0.001, GetFindingsBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	a := core.Caller{Account: "111111111111", Region: "us-east-1"}
	b := core.Caller{Account: "111111111111", Region: "eu-west-1"}
	got := []bool{c.Allow(a, core.ClassGetFindings), c.Allow(a, core.ClassGetFindings), c.Allow(a, core.ClassGetFindings), c.Allow(b, core.ClassGetFindings), c.Allow(a, "Other")}
	want := []bool{true, true, false, true, true}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d: allowed %v, want %v", i, got[i], want[i])
		}
	}
	if c.Stats().Throttled != 1 {
		t.Errorf("throttled %d, want 1", c.Stats().Throttled)
	}
}

func TestPageTokensBelongToTheirQuery(t *testing.T) {
	h := core.QueryHash("op", "a")
	items := []int{1, 2, 3, 4, 5}
	first, next := core.Page(items, 0, 2, h)
	if len(first) != 2 || next == "" {
		t.Fatalf("first page %v, next %q", first, next)
	}
	if off, ok := core.ReadToken(&next, h); !ok || off != 2 {
		t.Errorf("token reads as %d, %v", off, ok)
	}
	if _, ok := core.ReadToken(&next, core.QueryHash("op", "b")); ok {
		t.Error("a token of another query is accepted")
	}
	if last, next := core.Page(items, 4, 2, h); len(last) != 1 || next != "" {
		t.Errorf("last page %v, next %q", last, next)
	}
}

func TestConfigChecked(t *testing.T) {
	for _, cfg := range []core.Config{{ThrottleRate: 1.5}, {ServerErrorRate: -0.1}, {CredentialTTL: -time.Second}, {OtherBurst: -1},
		{DenyOperations: []string{"GetFindings"}}, {DenyOperations: []string{":GetFindings"}}} {
		var oe *core.OptionsError
		if _, err := core.New(cfg); !errors.As(err, &oe) {
			t.Errorf("New(%+v) = %v, want an OptionsError", cfg, err)
		}
	}
}

// TestDenied: an operation denied to every account or to one, and nothing else.
func TestDenied(t *testing.T) {
	c, err := core.New(core.Config{DenyOperations: []string{"*:ListRoots", " 111122223333:GetFindings "}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		account, op string
		want        bool
	}{
		{"111122223333", "ListRoots", true}, {"444455556666", "ListRoots", true},
		{"111122223333", "GetFindings", true}, {"444455556666", "GetFindings", false},
		{"111122223333", "ListAccounts", false},
	} {
		if got := c.Denied(tt.account, tt.op); got != tt.want {
			t.Errorf("Denied(%s, %s) = %v, want %v", tt.account, tt.op, got, tt.want)
		}
	}
}
