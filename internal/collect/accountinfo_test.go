package collect

import (
	"context"
	"reflect"
	"testing"

	"github.com/hubreport/hubreport/internal/model"
)

// TestWithAccounts: configured fields override the source's where set and leave the rest; an
// account the source names only in findings gets its configured entry; a configured account the
// snapshot does not hold is not added.
func TestWithAccounts(t *testing.T) {
	src := &Buffer{
		Accounts: []model.Account{{AccountID: "111111111111", Name: "prod", OU: "Workloads", Email: "a@x", Owner: "org-tag"}},
		Findings: []*model.Finding{{ID: "f1", AccountID: "111111111111"}, {ID: "f2", AccountID: "222222222222"}},
		Coverage: []model.Coverage{{AccountID: "222222222222", Region: "eu-west-1", Status: model.CoverageCollected}},
	}
	infos := []model.Account{
		{AccountID: "111111111111", OU: "Workloads/Prod"},
		{AccountID: "222222222222", Name: "sandbox-ann", OU: "Sandbox", Owner: "ann@x"},
		{AccountID: "333333333333", Name: "elsewhere", OU: "Security"},
	}
	var got Buffer
	if err := WithAccounts(src, infos).Collect(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	want := []model.Account{
		{AccountID: "111111111111", Name: "prod", OU: "Workloads/Prod", Email: "a@x", Owner: "org-tag"},
		{AccountID: "222222222222", Name: "sandbox-ann", OU: "Sandbox", Owner: "ann@x"},
	}
	if !reflect.DeepEqual(got.Accounts, want) {
		t.Errorf("accounts:\n got %+v\nwant %+v", got.Accounts, want)
	}
	if len(got.Findings) != 2 || len(got.Coverage) != 1 {
		t.Errorf("findings %d, coverage %d: want 2 and 1 passed through", len(got.Findings), len(got.Coverage))
	}
}
