// Package organizations emulates AWS Organizations (JSON 1.1): ListAccounts, with AWS's page
// size and the empty pages AWS sometimes answers, DescribeOrganization, and the OU tree and
// account tags (ListRoots, ListOrganizationalUnitsForParent, ListAccountsForParent,
// ListTagsForResource; tree.go).
package organizations

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
	"github.com/hubreport/hubreport/internal/fakeaws/estate"
)

// Organizations is JSON 1.1: POST / with X-Amz-Target AWSOrganizationsV20161128.Operation; errors
// are {"__type": Code, "Message": ...}.

const orgsTargetPrefix = "AWSOrganizationsV20161128."

// orgsPageSize is ListAccounts' page size and the largest MaxResults the model allows.
const orgsPageSize = 20

// Service is the emulated Organizations.
type Service struct {
	core *core.Core
	org  *estate.Org
}

// New serves org.
func New(c *core.Core, org *estate.Org) *Service { return &Service{core: c, org: org} }

// RefuseExpired answers a request signed with expired credentials.
func (s *Service) RefuseExpired(w http.ResponseWriter) {
	writeOrgsError(w, http.StatusBadRequest, "ExpiredTokenException", core.ExpiredMessage, nil)
}

func writeOrgsError(w http.ResponseWriter, status int, code, message string, extra map[string]string) {
	body := map[string]string{"__type": code, "Message": message}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	b, _ := json.Marshal(body)
	_, _ = w.Write(b)
}

// ServeHTTP answers a request of caller c; authErr says it carried no credentials.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request, c core.Caller, authErr error) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), orgsTargetPrefix)
	if !ok || r.Method != http.MethodPost {
		s.core.Count("Unknown")
		writeOrgsError(w, http.StatusBadRequest, "UnknownOperationException", "fakeaws: unknown operation "+r.Header.Get("X-Amz-Target"), nil)
		return
	}
	s.core.Count(op)
	if authErr != nil {
		writeOrgsError(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token", nil)
		return
	}
	if serverErr, _ := s.core.Fault(false); serverErr {
		writeOrgsError(w, http.StatusInternalServerError, "ServiceException", "AWS Organizations can't complete your request because of an internal service error (injected)", nil)
		return
	}
	if s.core.Denied(c.Account, op) {
		writeOrgsError(w, http.StatusBadRequest, "AccessDeniedException",
			"You don't have permissions to access this resource. (organizations:"+op+" denied by fakeaws)", nil)
		return
	}
	switch op {
	case "ListAccounts":
		s.listAccounts(w, r, c)
	case "DescribeOrganization":
		s.describeOrganization(w, c)
	case "ListRoots", "ListOrganizationalUnitsForParent", "ListAccountsForParent", "ListTagsForResource":
		s.tree(w, r, c, op)
	default:
		writeOrgsError(w, http.StatusBadRequest, "UnknownOperationException", "fakeaws: operation "+op+" is not emulated", nil)
	}
}

// mayListOrg: the management account and the delegated administrator may call Organizations.
func (s *Service) mayListOrg(c core.Caller) bool {
	return c.Account == s.org.Management || c.Account == s.org.Admin
}

func (s *Service) orgsAccessDenied(w http.ResponseWriter, c core.Caller, action string) {
	writeOrgsError(w, http.StatusBadRequest, "AccessDeniedException",
		"You don't have permissions to access this resource. Account "+c.Account+" is not the management account or a delegated administrator: organizations:"+action, nil)
}

func (s *Service) listAccounts(w http.ResponseWriter, r *http.Request, c core.Caller) {
	var in struct {
		NextToken  *string `json:"NextToken"`
		MaxResults *int    `json:"MaxResults"`
	}
	if !readInput(w, r, &in) {
		return
	}
	if !s.mayListOrg(c) {
		s.orgsAccessDenied(w, c, "ListAccounts")
		return
	}
	size := orgsPageSize
	if in.MaxResults != nil {
		switch {
		case *in.MaxResults < 1:
			writeOrgsError(w, http.StatusBadRequest, "InvalidInputException", "MaxResults must be at least 1", map[string]string{"Reason": "MIN_VALUE_EXCEEDED"})
			return
		case *in.MaxResults > orgsPageSize:
			writeOrgsError(w, http.StatusBadRequest, "InvalidInputException", "MaxResults must be at most 20", map[string]string{"Reason": "MAX_VALUE_EXCEEDED"})
			return
		}
		size = *in.MaxResults
	}
	// The token carries the offset and the page number: the second page and every third after it
	// is empty but still has a NextToken, as AWS sometimes answers, so that even a default-sized
	// organization (22 accounts, pages of 20) shows one.
	hash := core.QueryHash("ListAccounts", c.Account, strconv.Itoa(size))
	state, ok := core.ReadToken(in.NextToken, hash)
	if !ok {
		writeOrgsError(w, http.StatusBadRequest, "InvalidInputException", "The NextToken is not valid", map[string]string{"Reason": "INVALID_NEXT_TOKEN"})
		return
	}
	offset, pageNo := state>>16, state&0xffff
	type account struct {
		ID              string  `json:"Id"`
		Arn             string  `json:"Arn"`
		Email           string  `json:"Email"`
		Name            string  `json:"Name"`
		Status          string  `json:"Status"`
		State           string  `json:"State"`
		JoinedMethod    string  `json:"JoinedMethod"`
		JoinedTimestamp float64 `json:"JoinedTimestamp"`
	}
	accounts := []account{}
	end := offset
	if pageNo%3 != 1 {
		end = min(len(s.org.Accounts), offset+size)
		for _, a := range s.org.Accounts[min(offset, len(s.org.Accounts)):end] {
			accounts = append(accounts, account{ID: a.AccountID,
				Arn:   "arn:aws:organizations::" + s.org.Management + ":account/" + s.org.ID + "/" + a.AccountID,
				Email: a.Email, Name: a.Name, Status: a.Status, State: a.Status, JoinedMethod: a.JoinedMethod,
				JoinedTimestamp: float64(a.Joined.Unix())})
		}
	}
	out := map[string]any{"Accounts": accounts}
	if end < len(s.org.Accounts) {
		out["NextToken"] = core.MakeToken(hash, end<<16|(pageNo+1)&0xffff)
	}
	core.WriteJSON(w, "application/x-amz-json-1.1", out)
}

// readInput decodes a request's JSON body (none is an empty input) into in; on a bad body it
// answers AWS's error and returns false.
func readInput(w http.ResponseWriter, r *http.Request, in any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeOrgsError(w, http.StatusBadRequest, "InvalidInputException", "reading request body: "+err.Error(), nil)
		return false
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, in); err != nil {
			writeOrgsError(w, http.StatusBadRequest, "SerializationException", "malformed request body: "+err.Error(), nil)
			return false
		}
	}
	return true
}

func (s *Service) describeOrganization(w http.ResponseWriter, c core.Caller) {
	mgmt, _ := s.org.Account(s.org.Management)
	if _, ok := s.org.Account(c.Account); !ok {
		writeOrgsError(w, http.StatusBadRequest, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", nil)
		return
	}
	core.WriteJSON(w, "application/x-amz-json-1.1", map[string]any{"Organization": map[string]any{
		"Id":                 s.org.ID,
		"Arn":                "arn:aws:organizations::" + s.org.Management + ":organization/" + s.org.ID,
		"FeatureSet":         "ALL",
		"MasterAccountArn":   "arn:aws:organizations::" + s.org.Management + ":account/" + s.org.ID + "/" + s.org.Management,
		"MasterAccountId":    s.org.Management,
		"MasterAccountEmail": mgmt.Email,
	}})
}
