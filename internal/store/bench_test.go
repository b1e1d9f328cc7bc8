package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
)

// BenchmarkStageFindings measures AddFinding alone, the part of an import that runs on one
// goroutine while the decoders run on the others: 100,000 control findings shaped like an
// organization's (account-major, each account's controls in turn over three regions), staged and
// rolled back. The merge is BenchmarkImport200k's business (cmd/reporter).
func BenchmarkStageFindings(b *testing.B) {
	const n = 100000
	fs := make([]*model.Finding, n)
	for i := range fs {
		acct := fmt.Sprintf("%012d", 100000000000+i/500)
		region := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}[i/150%3]
		ctl := fmt.Sprintf("EC2.%d", i%150)
		f := finding(fmt.Sprintf("arn:aws:securityhub:%s:%s:security-control/%s/finding/%08x-1f2e-4d3c-9b8a-%012x", region, acct, ctl, i, i),
			acct, []string{"PASSED", "FAILED"}[i%7/6])
		f.Region, f.ControlID, f.GeneratorID = region, ctl, "security-control/"+ctl
		f.Title = ctl + " EC2 instances should not have a public IPv4 address"
		f.ResourceType, f.ResourceID = "AwsEc2Instance", fmt.Sprintf("arn:aws:ec2:%s:%s:instance/i-%017x", region, acct, i)
		f.FirstObservedAt, f.CreatedAt = t0, t0
		fs[i] = f
	}
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "r.duckdb"), Options{MemoryLimit: "160MB"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() { // b.Loop times only the loop: the set-up above is not counted
		w, err := s.BeginSnapshot(context.Background(), model.SnapshotMeta{TakenAt: t0, Source: "bench"}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range fs {
			if err := w.AddFinding(f); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Rollback(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "findings/s")
}
