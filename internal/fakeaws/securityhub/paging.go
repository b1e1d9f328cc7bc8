package securityhub

import (
	"net/url"
	"strconv"

	"github.com/hubreport/hubreport/internal/fakeaws/core"
)

// Paging of the list operations: MaxResults within the operation's limits and a NextToken bound to
// the query (core.MakeToken).

// maxResults checks MaxResults against 1..limit; nil is def.
func maxResults(v *int, limit, def int) (int, *shError) {
	if v == nil {
		return def, nil
	}
	if *v < 1 || *v > limit {
		return 0, invalidInput("MaxResults %d is outside 1..%d", *v, limit)
	}
	return *v, nil
}

// queryMaxResults reads MaxResults from a query string.
func queryMaxResults(q url.Values) (*int, *shError) {
	if !q.Has("MaxResults") {
		return nil, nil
	}
	n, err := strconv.Atoi(q.Get("MaxResults"))
	if err != nil {
		return nil, invalidInput("MaxResults %q is not an integer", q.Get("MaxResults"))
	}
	return &n, nil
}

func queryToken(q url.Values) *string {
	if !q.Has("NextToken") {
		return nil
	}
	t := q.Get("NextToken")
	return &t
}

// listPage reads the paging parameters of a GET list operation (MaxResults 1-100, default 100,
// and a NextToken bound to the same query).
func listPage(c core.Caller, q url.Values, op string, params ...string) (size, offset int, hash [12]byte, err *shError) {
	mr, err := queryMaxResults(q)
	if err != nil {
		return 0, 0, hash, err
	}
	if size, err = maxResults(mr, 100, 100); err != nil {
		return 0, 0, hash, err
	}
	hash = core.QueryHash(append([]string{op, c.Account, c.Region}, append(params, strconv.Itoa(size))...)...)
	offset, ok := core.ReadToken(queryToken(q), hash)
	if !ok {
		return 0, 0, hash, invalidInput("The NextToken is invalid or does not match the request parameters")
	}
	return size, offset, hash, nil
}
