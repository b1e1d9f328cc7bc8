package collect

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/hubreport/hubreport/internal/model"
)

// organizationTree sets each account's OU path (below the root, e.g. "Workloads/Prod"; "" for an
// account directly under the root) and its owner (the value of tag ownerTag) from Organizations:
// ListRoots, then ListOrganizationalUnitsForParent and ListAccountsForParent down the tree, and
// ListTagsForResource per account. Only the accounts given are looked up; on an error the accounts
// keep what was set before it, and the caller decides what the error costs.
func organizationTree(ctx context.Context, org accountsAPI, accounts []model.Account, ownerTag string) error {
	if len(accounts) == 0 {
		return nil
	}
	index := make(map[string]int, len(accounts))
	for i, a := range accounts {
		index[a.AccountID] = i
	}
	roots, err := listRoots(ctx, org)
	if err != nil {
		return fmt.Errorf("organizations ListRoots: %w", err)
	}
	// Breadth first over (parent id, path); an organization is at most five OUs deep.
	type node struct{ id, path string }
	queue := make([]node, 0, len(roots))
	for _, r := range roots {
		queue = append(queue, node{id: r})
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		accPages := organizations.NewListAccountsForParentPaginator(org, &organizations.ListAccountsForParentInput{ParentId: aws.String(n.id)})
		for accPages.HasMorePages() {
			page, err := accPages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("organizations ListAccountsForParent %s: %w", n.id, err)
			}
			for _, a := range page.Accounts {
				if i, ok := index[aws.ToString(a.Id)]; ok {
					accounts[i].OU = n.path
				}
			}
		}
		ouPages := organizations.NewListOrganizationalUnitsForParentPaginator(org, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(n.id)})
		for ouPages.HasMorePages() {
			page, err := ouPages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("organizations ListOrganizationalUnitsForParent %s: %w", n.id, err)
			}
			for _, ou := range page.OrganizationalUnits {
				path := aws.ToString(ou.Name)
				if n.path != "" {
					path = n.path + "/" + path
				}
				queue = append(queue, node{id: aws.ToString(ou.Id), path: path})
			}
		}
	}
	for i := range accounts {
		pages := organizations.NewListTagsForResourcePaginator(org, &organizations.ListTagsForResourceInput{ResourceId: aws.String(accounts[i].AccountID)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("organizations ListTagsForResource %s: %w", accounts[i].AccountID, err)
			}
			for _, t := range page.Tags {
				if aws.ToString(t.Key) == ownerTag {
					accounts[i].Owner = aws.ToString(t.Value)
				}
			}
		}
	}
	return nil
}

func listRoots(ctx context.Context, org accountsAPI) ([]string, error) {
	var out []string
	pages := organizations.NewListRootsPaginator(org, &organizations.ListRootsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Roots {
			out = append(out, aws.ToString(r.Id))
		}
	}
	return out, nil
}
