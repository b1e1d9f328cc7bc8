// Command fakeaws serves the AWS emulator (internal/fakeaws) with the demo organization
// (internal/collect/demo/demoaws) for trying the collector by hand:
//
//	fakeaws --accounts 20 &
//	AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=x \
//	  aws --endpoint-url http://127.0.0.1:PORT --region us-east-1 securityhub get-findings --max-items 5
//
// With --s3-buckets and --ses-identities it also stands in for the state bucket, the report archive
// and SES, so `reporter run` can be tried end to end (see internal/e2e).
//
// The first line on stdout is "listening on http://HOST:PORT", printed once the estate is built.
// It serves until SIGINT or SIGTERM.
//
// Exit codes: 0 stopped by a signal, 1 fatal error (e.g. cannot listen), 2 usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hubreport/hubreport/internal/collect/demo/demoaws"
	"github.com/hubreport/hubreport/internal/fakeaws"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: fakeaws [flags]

Serves a local emulator of Security Hub, Organizations, STS, Audit Manager, S3 and SES v2, seeded
from the demo organization or, with --findings, from an ASFF file. Requests signed with access key
AKIAFAKE<account id> act as that account; any other key acts as the Security Hub administrator. S3 addresses buckets by path
(http://HOST:PORT/BUCKET/KEY). GET /_fakeaws/ses/messages lists the emails SES accepted as JSON.

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 fatal error, 2 usage.

Flags:
`

// listFlag is a comma-separated list flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// serverFor builds the emulator over the demo estate of cfg, or the findings of an ASFF file.
func serverFor(cfg demoaws.Config, findings string, opts fakeaws.Options) (*fakeaws.Server, error) {
	if findings == "" {
		return demoaws.New(cfg, opts)
	}
	f, err := os.Open(findings)
	if err != nil {
		return nil, fmt.Errorf("fakeaws: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: a close error cannot lose data
	if opts.Estate, err = demoaws.FileEstate(f, nil); err != nil {
		return nil, fmt.Errorf("fakeaws: %s: %w", findings, err)
	}
	return fakeaws.New(opts)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fakeaws", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var opts fakeaws.Options
	var demoCfg demoaws.Config
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	fs.IntVar(&demoCfg.Accounts, "accounts", demoaws.DefaultAccounts, "number of accounts in the organization")
	fs.IntVar(&demoCfg.FindingsPerAccount, "findings-per-account", 0, "findings per account (0: what the demo generates)")
	fs.Int64Var(&demoCfg.Seed, "seed", demoaws.DefaultSeed, "seed of the demo organization")
	findings := fs.String("findings", "", "serve the findings of this ASFF file (aws securityhub get-findings output) instead of the demo organization's; its accounts, regions and standards are those the findings name, the first account the administrator")
	fs.BoolVar(&opts.Aggregator, "aggregator", true, "a finding aggregator in the home region links all regions")
	fs.BoolVar(&opts.AggregatorLinksAll, "aggregator-links-all", false, "the aggregator links ALL_REGIONS, which GetFindingAggregator does not list (default: SPECIFIED_REGIONS, listed)")
	fs.BoolVar(&opts.Unlimited, "unlimited", false, "turn off the per-account request quotas")
	fs.Float64Var(&opts.ThrottleRate, "throttle-rate", 0, "fraction of Security Hub requests answered 429 TooManyRequestsException")
	fs.Float64Var(&opts.ServerErrorRate, "server-error-rate", 0, "fraction of requests answered 500")
	fs.Var((*listFlag)(&opts.DenyAssumeRole), "deny-assume-role", "comma-separated account ids whose role cannot be assumed")
	fs.Var((*listFlag)(&opts.DisabledRegions), "disabled-regions", "comma-separated ACCOUNT:REGION or *:REGION where Security Hub is not enabled")
	fs.Var((*listFlag)(&opts.S3Buckets), "s3-buckets", "comma-separated S3 buckets that exist, empty at start (others answer NoSuchBucket)")
	fs.Var((*listFlag)(&opts.SESVerifiedIdentities), "ses-identities",
		"comma-separated verified SES identities, addresses and domains; other senders are refused with MessageRejected (unset: every sender is verified)")
	fs.DurationVar(&opts.Latency, "latency", 0, "latency added to every response")
	fs.DurationVar(&opts.CredentialTTL, "credential-ttl", fakeaws.DefaultCredentialTTL,
		"lifetime of the credentials AssumeRole issues; requests signed with expired ones get ExpiredToken / ExpiredTokenException")
	fs.Int64Var(&opts.FaultSeed, "fault-seed", 0, "seed of the fault injection")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fakeaws: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return 2
	}
	// The emulator imports nothing of the product: the demo organization (or the file's
	// findings) is built here and handed over.
	srv, err := serverFor(demoCfg, *findings, opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		var oe *fakeaws.OptionsError
		if errors.As(err, &oe) {
			return 2
		}
		return 1
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "fakeaws: %v\n", err)
		return 1
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stderr, "fakeaws: %d accounts, %d findings, regions %s (home %s); administrator %s: any access key acts as it, AKIAFAKE<account> acts as <account> (e.g. %s)\n",
		len(srv.Accounts()), len(srv.Findings()), strings.Join(srv.Regions(), ","), srv.HomeRegion(),
		srv.AdministratorAccount(), fakeaws.AccessKeyFor(srv.AdministratorAccount()))
	if b := srv.Options().S3Buckets; len(b) > 0 {
		fmt.Fprintf(stderr, "fakeaws: S3 buckets %s\n", strings.Join(b, ","))
	}
	senders := "any address"
	if ids := srv.Options().SESVerifiedIdentities; len(ids) > 0 {
		senders = strings.Join(ids, ",") + " only"
	}
	fmt.Fprintf(stderr, "fakeaws: SES sends from %s; sent emails: GET http://%s%s\n", senders, ln.Addr(), fakeaws.SESMessagesPath)

	select {
	case err := <-served:
		fmt.Fprintf(stderr, "fakeaws: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		fmt.Fprintf(stderr, "fakeaws: shutdown: %v\n", err)
	}
	return 0
}
