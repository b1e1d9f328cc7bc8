package organizations

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
	"github.com/hubreport/hubreport/internal/fakeaws/estate"
)

// The OU tree is derived from the accounts' OU paths: one root ("Root"), and an OU per path
// prefix, with ids made from the path so that they are the same on every start. Ids follow AWS's
// patterns: r-[0-9a-z]{4,32} and ou-<root part>-[0-9a-z]{8,32}.

// orgNode is the root or an OU.
type orgNode struct {
	id, name, path string
}

func (s *Service) rootID() string { return "r-" + idPart("root/"+s.org.ID, 4) }

func (s *Service) ouID(path string) string {
	return "ou-" + s.rootID()[2:] + "-" + idPart("ou/"+s.org.ID+"/"+path, 8)
}

func idPart(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:n]
}

// parent resolves a ParentId to its path ("" for the root); ok is false for an unknown id.
func (s *Service) parent(id string) (string, bool) {
	if id == s.rootID() {
		return "", true
	}
	for _, n := range s.ous() {
		if n.id == id {
			return n.path, true
		}
	}
	return "", false
}

// ous lists every OU of the tree, in path order.
func (s *Service) ous() []orgNode {
	seen := map[string]bool{}
	var out []orgNode
	for _, a := range s.org.Accounts {
		parts := strings.Split(a.OU, "/")
		for i := range parts {
			path := strings.Join(parts[:i+1], "/")
			if parts[i] == "" || seen[path] {
				continue
			}
			seen[path] = true
			out = append(out, orgNode{id: s.ouID(path), name: parts[i], path: path})
		}
	}
	slices.SortFunc(out, func(a, b orgNode) int { return strings.Compare(a.path, b.path) })
	return out
}

// parentOf is the path an OU path hangs under.
func parentOf(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[:i]
	}
	return ""
}

// tree answers the OU tree's operations, paged as ListAccounts is (offset tokens bound to the
// query, AWS's MaxResults bounds).
func (s *Service) tree(w http.ResponseWriter, r *http.Request, c core.Caller, op string) {
	var in struct {
		ParentID   *string `json:"ParentId"`
		ResourceID *string `json:"ResourceId"`
		NextToken  *string `json:"NextToken"`
		MaxResults *int    `json:"MaxResults"`
	}
	if !readInput(w, r, &in) {
		return
	}
	if !s.mayListOrg(c) {
		s.orgsAccessDenied(w, c, op)
		return
	}
	size := orgsPageSize
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > orgsPageSize {
			writeOrgsError(w, http.StatusBadRequest, "InvalidInputException", "MaxResults must be between 1 and 20", map[string]string{"Reason": "MAX_VALUE_EXCEEDED"})
			return
		}
		size = *in.MaxResults
	}
	var items []any
	var key, arg string
	switch op {
	case "ListRoots":
		key = "Roots"
		items = []any{map[string]any{"Id": s.rootID(), "Name": "Root",
			"Arn":         "arn:aws:organizations::" + s.org.Management + ":root/" + s.org.ID + "/" + s.rootID(),
			"PolicyTypes": []any{}}}
	case "ListOrganizationalUnitsForParent", "ListAccountsForParent":
		arg = deref(in.ParentID)
		if arg == "" {
			writeOrgsError(w, http.StatusBadRequest, "InvalidInputException", "ParentId is required", map[string]string{"Reason": "INVALID_INPUT"})
			return
		}
		path, ok := s.parent(arg)
		if !ok {
			writeOrgsError(w, http.StatusBadRequest, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.", nil)
			return
		}
		if op == "ListAccountsForParent" {
			key = "Accounts"
			for _, a := range s.org.Accounts {
				if a.OU == path {
					items = append(items, s.accountJSON(a))
				}
			}
			break
		}
		key = "OrganizationalUnits"
		for _, n := range s.ous() {
			if parentOf(n.path) == path {
				items = append(items, map[string]any{"Id": n.id, "Name": n.name,
					"Arn": "arn:aws:organizations::" + s.org.Management + ":ou/" + s.org.ID + "/" + n.id})
			}
		}
	case "ListTagsForResource":
		key, arg = "Tags", deref(in.ResourceID)
		a, ok := s.org.Account(arg)
		if !ok {
			writeOrgsError(w, http.StatusBadRequest, "TargetNotFoundException", "We can't find a resource with the ResourceId that you specified.", nil)
			return
		}
		keys := make([]string, 0, len(a.Tags))
		for k := range a.Tags {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			items = append(items, map[string]string{"Key": k, "Value": a.Tags[k]})
		}
	}
	hash := core.QueryHash(op, c.Account, arg, strconv.Itoa(size))
	offset, ok := core.ReadToken(in.NextToken, hash)
	if !ok {
		writeOrgsError(w, http.StatusBadRequest, "InvalidInputException", "The NextToken is not valid", map[string]string{"Reason": "INVALID_NEXT_TOKEN"})
		return
	}
	offset = min(offset, len(items))
	end := min(len(items), offset+size)
	out := map[string]any{key: append([]any{}, items[offset:end]...)}
	if end < len(items) {
		out["NextToken"] = core.MakeToken(hash, end)
	}
	core.WriteJSON(w, "application/x-amz-json-1.1", out)
}

// accountJSON is an account in Organizations' Account shape.
func (s *Service) accountJSON(a estate.Account) map[string]any {
	return map[string]any{"Id": a.AccountID,
		"Arn":   "arn:aws:organizations::" + s.org.Management + ":account/" + s.org.ID + "/" + a.AccountID,
		"Email": a.Email, "Name": a.Name, "Status": a.Status, "State": a.Status, "JoinedMethod": a.JoinedMethod,
		"JoinedTimestamp": float64(a.Joined.Unix())}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
