package fakeaws

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Organizations is JSON 1.1: POST / with X-Amz-Target AWSOrganizationsV20161128.Operation; errors
// are {"__type": Code, "Message": ...}.

const orgsTargetPrefix = "AWSOrganizationsV20161128."

// orgsPageSize is ListAccounts' page size and the largest MaxResults the model allows.
const orgsPageSize = 20

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

func (s *Server) serveOrganizations(w http.ResponseWriter, r *http.Request, c caller, authErr error) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), orgsTargetPrefix)
	if !ok || r.Method != http.MethodPost {
		s.count("Unknown")
		writeOrgsError(w, http.StatusBadRequest, "UnknownOperationException", "fakeaws: unknown operation "+r.Header.Get("X-Amz-Target"), nil)
		return
	}
	s.count(op)
	if authErr != nil {
		writeOrgsError(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token", nil)
		return
	}
	if serverErr, _ := s.fault(false); serverErr {
		writeOrgsError(w, http.StatusInternalServerError, "ServiceException", "AWS Organizations can't complete your request because of an internal service error (injected)", nil)
		return
	}
	switch op {
	case "ListAccounts":
		s.listAccounts(w, r, c)
	case "DescribeOrganization":
		s.describeOrganization(w, c)
	default:
		writeOrgsError(w, http.StatusBadRequest, "UnknownOperationException", "fakeaws: operation "+op+" is not emulated", nil)
	}
}

// mayListOrg: the management account and the delegated administrator may call Organizations.
func (s *Server) mayListOrg(c caller) bool { return c.account == s.management || c.account == s.admin }

func (s *Server) orgsAccessDenied(w http.ResponseWriter, c caller, action string) {
	writeOrgsError(w, http.StatusBadRequest, "AccessDeniedException",
		"You don't have permissions to access this resource. Account "+c.account+" is not the management account or a delegated administrator: organizations:"+action, nil)
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, c caller) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeOrgsError(w, http.StatusBadRequest, "InvalidInputException", "reading request body: "+err.Error(), nil)
		return
	}
	var in struct {
		NextToken  *string `json:"NextToken"`
		MaxResults *int    `json:"MaxResults"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeOrgsError(w, http.StatusBadRequest, "SerializationException", "malformed request body: "+err.Error(), nil)
			return
		}
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
	hash := queryHash("ListAccounts", c.account, strconv.Itoa(size))
	state, ok := readToken(in.NextToken, hash)
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
		end = min(len(s.orgList), offset+size)
		for _, a := range s.orgList[min(offset, len(s.orgList)):end] {
			accounts = append(accounts, account{ID: a.AccountID,
				Arn:   "arn:aws:organizations::" + s.management + ":account/" + s.orgID + "/" + a.AccountID,
				Email: a.Email, Name: a.Name, Status: a.Status, State: a.Status, JoinedMethod: a.JoinedMethod,
				JoinedTimestamp: float64(a.Joined.Unix())})
		}
	}
	out := map[string]any{"Accounts": accounts}
	if end < len(s.orgList) {
		out["NextToken"] = makeToken(hash, end<<16|(pageNo+1)&0xffff)
	}
	writeJSON(w, "application/x-amz-json-1.1", out)
}

func (s *Server) describeOrganization(w http.ResponseWriter, c caller) {
	if _, ok := s.inOrg[c.account]; !ok {
		writeOrgsError(w, http.StatusBadRequest, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.", nil)
		return
	}
	writeJSON(w, "application/x-amz-json-1.1", map[string]any{"Organization": map[string]any{
		"Id":                 s.orgID,
		"Arn":                "arn:aws:organizations::" + s.management + ":organization/" + s.orgID,
		"FeatureSet":         "ALL",
		"MasterAccountArn":   "arn:aws:organizations::" + s.management + ":account/" + s.orgID + "/" + s.management,
		"MasterAccountId":    s.management,
		"MasterAccountEmail": s.inOrg[s.management].Email,
	}})
}
