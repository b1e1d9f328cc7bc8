package collect_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/collect"
	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/store"
	"github.com/hubreport/hubreport/internal/store/storetest"
)

// storeSnapshot collects src into a fresh store file, as `reporter collect` does, and returns
// the store (closed with the test), the snapshot and its coverage rows.
func storeSnapshot(t *testing.T, src *collect.AWSSource) (*store.Store, model.Snapshot, error) {
	t.Helper()
	ctx := t.Context()
	plan, err := src.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t)
	meta := plan.Meta("test-org")
	meta.TakenAt = time.Now().UTC()
	snap, err := st.WriteSnapshot(ctx, meta, plan.Standards, plan.Controls, collect.Fill[*store.SnapshotWriter](src))
	return st, snap, err
}

type coverageRow struct {
	account, region, status string
	findings, malformed     int64
	malformedError          string
}

func coverageOf(t *testing.T, st *store.Store, id int64) []coverageRow {
	t.Helper()
	rows, err := st.DB().QueryContext(t.Context(), `SELECT account_id, region, status, findings, malformed, malformed_error
		FROM coverage WHERE snapshot_id = ? ORDER BY account_id, region`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []coverageRow
	for rows.Next() {
		var c coverageRow
		if err := rows.Scan(&c.account, &c.region, &c.status, &c.findings, &c.malformed, &c.malformedError); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func storedFindings(t *testing.T, st *store.Store, id int64) []*model.Finding {
	t.Helper()
	var out []*model.Finding
	if err := st.ForEachFinding(t.Context(), id, func(f *model.Finding) error {
		c := *f
		out = append(out, &c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// memberHub is the Security Hub client an accounts-mode source reads a member account's home
// region with, on that account's cached assumed-role credentials.
func memberHub(t *testing.T, srv *fakeaws.Server, url string) *securityhub.Client {
	t.Helper()
	src, err := collect.NewAWSSource(awsConfig(srv, url), collect.AWSOptions{Mode: collect.ModeAccounts,
		GetFindingsQuota: collect.Unpaced, CatalogQuota: collect.Unpaced})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(srv.Accounts(), func(a fakeaws.Account) bool { return a.AccountID != srv.AdministratorAccount() })
	member := srv.Accounts()[i].AccountID
	creds, err := src.MemberCredentials(t.Context(), member)
	if err != nil {
		t.Fatal(err)
	}
	return src.HubClient(creds, member, srv.HomeRegion())
}

// TestAWSPacingComesBeforeSigning reads the middleware stack of a real Security Hub client as the
// source builds it: the pacer must wait after the retry loop starts an attempt (so retries are
// paced) and before the credentials are fetched and the request signed (so a request held back
// by pacing is not sent with a signature, date and token from before the wait).
func TestAWSPacingComesBeforeSigning(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 2}, fakeaws.Options{Unlimited: true})
	src, err := collect.NewAWSSource(awsConfig(srv, hs.URL), collect.AWSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hub := src.HubClient(awsConfig(srv, hs.URL).Credentials, srv.AdministratorAccount(), srv.HomeRegion())
	errInspected := errors.New("stack inspected")
	var finalize, initialize []string
	_, err = hub.GetFindings(t.Context(), &securityhub.GetFindingsInput{}, func(o *securityhub.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			finalize, initialize = s.Finalize.List(), s.Initialize.List()
			return errInspected
		})
	})
	if !errors.Is(err, errInspected) {
		t.Fatalf("GetFindings: %v", err)
	}
	at := func(ids []string, id string) int {
		i := slices.Index(ids, id)
		if i < 0 {
			t.Fatalf("%s is not in the stack %v", id, ids)
		}
		return i
	}
	pace := at(finalize, collect.PaceMiddlewareID)
	if retry := at(finalize, "Retry"); pace < retry {
		t.Errorf("pacing (%d) runs before the retry loop (%d): retries would not be paced; finalize %v", pace, retry, finalize)
	}
	for _, id := range []string{"GetIdentity", "Signing"} {
		if i := at(finalize, id); pace > i {
			t.Errorf("pacing (%d) runs after %s (%d): a paced request leaves with a stale signature; finalize %v", pace, id, i, finalize)
		}
	}
	at(initialize, collect.RefreshMiddlewareID)
}

// TestAWSExpiredTokenIsRetriedWithFreshCredentials moves the emulator's clock past the member
// credentials' expiry while the client still holds them (a host clock behind AWS's does that):
// the next call is refused with ExpiredTokenException, and the source fetches new credentials and
// retries it once, transparently.
func TestAWSExpiredTokenIsRetriedWithFreshCredentials(t *testing.T) {
	var skew atomic.Int64
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Unlimited: true, Clock: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	ctx := t.Context()
	hub := memberHub(t, srv, hs.URL)
	in := &securityhub.GetFindingsInput{MaxResults: aws.Int32(10)}
	if _, err := hub.GetFindings(ctx, in); err != nil {
		t.Fatalf("first call, fresh credentials: %v", err)
	}
	before := srv.Stats()
	skew.Store(int64(2 * fakeaws.DefaultCredentialTTL)) // AWS's clock is now past the expiry
	out, err := hub.GetFindings(ctx, in)
	if err != nil {
		t.Fatalf("call with credentials AWS considers expired: %v (want it retried with fresh ones)", err)
	}
	if len(out.Findings) == 0 {
		t.Error("the retried call returned no findings")
	}
	after := srv.Stats()
	if got := after.ExpiredTokens - before.ExpiredTokens; got != 1 {
		t.Errorf("%d requests refused as expired, want exactly 1 (then the retry)", got)
	}
	if got := after.Requests["AssumeRole"] - before.Requests["AssumeRole"]; got != 1 {
		t.Errorf("%d AssumeRole calls for the retry, want 1: the cache must be invalidated", got)
	}
	// The refused request is turned away before it reaches Security Hub; the retry is served.
	if got := after.Requests["GetFindings"] - before.Requests["GetFindings"]; got != 1 {
		t.Errorf("%d GetFindings requests served, want 1 (the retry)", got)
	}
}

// TestAWSExpiredTwiceIsAnErrorNotDenied: when even fresh credentials are expired on arrival (the
// clock AWS checks them by jumps ahead on every look), the pair is retried once, then recorded as
// an error that says so; never as access denied, which would send the operator to IAM.
func TestAWSExpiredTwiceIsAnErrorNotDenied(t *testing.T) {
	var ticks atomic.Int64
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Unlimited: true, Clock: func() time.Time {
		return time.Now().Add(time.Duration(ticks.Add(1)) * 2 * fakeaws.DefaultCredentialTTL)
	}})
	src, err := collect.NewAWSSource(awsConfig(srv, hs.URL), collect.AWSOptions{Mode: collect.ModeAccounts,
		Regions: srv.Regions()[:1], GetFindingsQuota: collect.Unpaced, CatalogQuota: collect.Unpaced})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Prepare(t.Context()); err != nil {
		t.Fatal(err)
	}
	sink := &collect.Buffer{}
	if err := src.Collect(t.Context(), sink); err != nil {
		t.Fatal(err)
	}
	members := 0
	for _, c := range sink.Coverage {
		if c.AccountID == srv.AdministratorAccount() {
			if c.Status != model.CoverageCollected {
				t.Errorf("administrator %s/%s (its own, unexpiring keys): %s %s", c.AccountID, c.Region, c.Status, c.Reason)
			}
			continue
		}
		members++
		if c.Status != model.CoverageError || !strings.Contains(c.Reason, "ExpiredTokenException") ||
			!strings.Contains(c.Reason, "still expired after fetching fresh credentials") {
			t.Errorf("member %s/%s: %s %q, want %s naming ExpiredTokenException and the retry", c.AccountID, c.Region, c.Status, c.Reason, model.CoverageError)
		}
	}
	if members == 0 {
		t.Fatal("no member account was read")
	}
	if got := srv.Stats().ExpiredTokens; got != 2*members {
		t.Errorf("%d requests refused as expired, want %d: one try and one retry per member", got, 2*members)
	}
}

// TestAWSCollectOutlastsCredentials collects in accounts mode for longer than the assumed-role
// credentials live: paced to 2 GetFindings a second, each account/region takes at least
// (pages-1)/2 s, which is more than the emulator's 3 s credential lifetime. Every finding is
// stored and every pair collected, and the credentials were renewed along the way.
func TestAWSCollectOutlastsCredentials(t *testing.T) {
	const ttl = 3 * time.Second
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3, FindingsPerAccount: 4000}, fakeaws.Options{CredentialTTL: ttl, Aggregator: true, GetFindingsRate: 2, GetFindingsBurst: 2, Latency: 20 * time.Millisecond})
	opts := collect.AWSOptions{Mode: collect.ModeAccounts, GetFindingsQuota: collect.Quota{Rate: 2, Burst: 2}}
	// The emulator's credentials live 3 s, less than the 5-minute window: renewed 1 s early
	// instead, so they are used and then renewed rather than fetched anew for every request.
	collect.SetCredentialWindow(&opts, time.Second)
	src, err := collect.NewAWSSource(awsConfig(srv, hs.URL), opts)
	if err != nil {
		t.Fatal(err)
	}
	st, snap, err := storeSnapshot(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := activeFindings(srv)
	checkExactlyOnce(t, want, storedFindings(t, st, snap.ID))
	if snap.Status != model.StatusComplete {
		t.Errorf("snapshot is %s, want %s", snap.Status, model.StatusComplete)
	}
	pages := 0
	for _, c := range coverageOf(t, st, snap.ID) {
		if c.status != model.CoverageCollected || c.malformed != 0 {
			t.Errorf("pair %s/%s: %s, %d malformed", c.account, c.region, c.status, c.malformed)
		}
		pages = max(pages, int((c.findings+99)/100))
	}
	// The slowest pair's pages at 2 a second (the first free) must outlast the credentials, or
	// the test proves nothing.
	if lasted := time.Duration(pages-1) * time.Second / 2; lasted <= ttl {
		t.Fatalf("the longest pair has %d pages, %v at 2/s: not longer than the %v credentials", pages, lasted, ttl)
	}
	stats := srv.Stats()
	members := len(srv.Accounts()) - 1 // the administrator reads with its own keys
	if stats.Requests["AssumeRole"] <= members {
		t.Errorf("%d AssumeRole calls for %d member accounts: the credentials were never renewed", stats.Requests["AssumeRole"], members)
	}
	t.Logf("%d findings, %d GetFindings, %d AssumeRole, %d refused as expired (then retried)",
		snap.Findings, stats.Requests["GetFindings"], stats.Requests["AssumeRole"], stats.ExpiredTokens)
}

// TestAWSMalformedFindingIsSkippedAndCounted: findings that decode but cannot be stored are left
// out, counted in their pair's coverage with the first error, and make the snapshot partial;
// every other finding is stored.
func TestAWSMalformedFindingIsSkippedAndCounted(t *testing.T) {
	for _, c := range []struct {
		mode string
		bad  int
	}{{collect.ModeAccounts, 1}, {collect.ModeAggregator, 3}} {
		t.Run(c.mode, func(t *testing.T) {
			srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 4}, fakeaws.Options{Aggregator: true, Unlimited: true, MalformedFindings: c.bad})
			src, err := collect.NewAWSSource(awsConfig(srv, hs.URL), unpacedIfUnlimited(srv, collect.AWSOptions{Mode: c.mode}))
			if err != nil {
				t.Fatal(err)
			}
			st, snap, err := storeSnapshot(t, src)
			if err != nil {
				t.Fatalf("collection aborted: %v", err)
			}
			want := activeFindings(srv)
			bad := srv.MalformedFindingIDs()
			if len(bad) != c.bad {
				t.Fatalf("emulator broke %d findings, want %d", len(bad), c.bad)
			}
			for k, f := range want {
				if slices.Contains(bad, f.ID) {
					delete(want, k)
				}
			}
			checkExactlyOnce(t, want, storedFindings(t, st, snap.ID))
			if snap.Status != model.StatusPartial {
				t.Errorf("snapshot is %s, want %s", snap.Status, model.StatusPartial)
			}
			var total int64
			var errs []string
			for _, r := range coverageOf(t, st, snap.ID) {
				total += r.malformed
				if r.malformed > 0 {
					errs = append(errs, r.malformedError)
				}
				if r.malformed > 0 && r.malformedError == "" {
					t.Errorf("pair %s/%s: %d malformed but no first error", r.account, r.region, r.malformed)
				}
			}
			if total != int64(c.bad) {
				t.Errorf("coverage counts %d malformed findings, want %d", total, c.bad)
			}
			// The first kind the emulator breaks is a finding without its Id.
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, "field Id") }) {
				t.Errorf("no first error names the missing Id: %q", errs)
			}
		})
	}
}

// TestAWSPanicIsAnErrorNamingThePair: a panic while converting one account/region's findings
// (in a fan-out goroutine, or in the aggregator's stream) comes back as an error naming the
// account and region; the process goes on and nothing is stored.
func TestAWSPanicIsAnErrorNamingThePair(t *testing.T) {
	srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Aggregator: true, Unlimited: true})
	var victim *fakeaws.Finding
	for _, f := range srv.Findings() {
		if f.RecordState == "ACTIVE" && f.AccountID != srv.AdministratorAccount() && f.Region != srv.HomeRegion() {
			victim = f
			break
		}
	}
	restore := collect.SetConvertFinding(func(x *types.AwsSecurityFinding, cat *catalog.Catalog) (*model.Finding, error) {
		if aws.ToString(x.Id) == victim.ID {
			var m map[string]int
			//lint:ignore SA5000 the test needs a real runtime panic, not a panic() call
			m["injected"]++ // a nil map write: a real runtime panic
		}
		return collect.FromSDK(x, cat)
	})
	defer restore()
	for _, c := range []struct{ mode, where string }{
		{collect.ModeAccounts, "collect " + victim.AccountID + "/" + victim.Region},
		{collect.ModeAggregator, "collect " + srv.AdministratorAccount() + "/" + srv.HomeRegion()},
	} {
		t.Run(c.mode, func(t *testing.T) {
			src, err := collect.NewAWSSource(awsConfig(srv, hs.URL), unpacedIfUnlimited(srv, collect.AWSOptions{Mode: c.mode}))
			if err != nil {
				t.Fatal(err)
			}
			st, _, err := storeSnapshot(t, src)
			var pe *collect.PanicError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a PanicError", err)
			}
			if !strings.Contains(err.Error(), c.where) || !strings.Contains(err.Error(), "nil map") {
				t.Errorf("error %q does not name %q and the panic", err, c.where)
			}
			if snaps, err := st.Snapshots(context.Background()); err != nil || len(snaps) != 0 {
				t.Errorf("after the panic: %d snapshots stored (%v), want none", len(snaps), err)
			}
		})
	}
}

// TestAWSCredentialsRenewedFiveMinutesEarly: member credentials that expire within five minutes
// are fetched anew before the next request; ones with longer to live are reused.
func TestAWSCredentialsRenewedFiveMinutesEarly(t *testing.T) {
	for _, c := range []struct {
		ttl     time.Duration
		renewed bool
	}{{5*time.Minute - time.Second, true}, {10 * time.Minute, false}} {
		srv, hs := demoaws.NewTestServer(t, demoaws.Config{Accounts: 3}, fakeaws.Options{Unlimited: true, CredentialTTL: c.ttl})
		ctx := t.Context()
		hub := memberHub(t, srv, hs.URL)
		before := srv.Stats().Requests["AssumeRole"]
		for range 2 {
			if _, err := hub.GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(1)}); err != nil {
				t.Fatal(err)
			}
		}
		want := 0
		if c.renewed {
			want = 2
		}
		if got := srv.Stats().Requests["AssumeRole"] - before; got != want {
			t.Errorf("credentials living %v: %d AssumeRole calls for 2 requests, want %d", c.ttl, got, want)
		}
	}
}
