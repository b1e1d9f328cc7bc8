package run

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hubreport/hubreport/internal/analyze"
	"github.com/hubreport/hubreport/internal/config"
	"github.com/hubreport/hubreport/internal/model"
	"github.com/hubreport/hubreport/internal/report"
	"github.com/hubreport/hubreport/internal/store"
)

// RoutedFormats are what a route's email carries: its own PDF and workbook.
var RoutedFormats = []string{"pdf", "xlsx"}

// RoutedReport is one route's report (deliver.email.routes[Index]) and the files written for it.
type RoutedReport struct {
	Index   int
	Route   config.Route
	Report  *report.Report
	Written []string
}

// RouteScope matches route to the accounts of snapshot id: the scope of its report, or nil when
// it holds no account in that snapshot but matched accounts in an earlier one (the caller skips
// it and says why). A route no stored snapshot ever matched can never match: that is a
// *config.ValidationError naming key, the route's configuration key (or the flag that gave it).
func RouteScope(ctx context.Context, st *store.Store, id int64, route config.Route, key string) (*analyze.Scope, error) {
	now, ever, err := analyze.RouteAccounts(ctx, st, id)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, a := range now {
		if route.Matches(a.OU, a.Owner) {
			ids = append(ids, a.AccountID)
		}
	}
	if len(ids) > 0 {
		kind := report.ScopeOU
		if route.Tag != nil {
			kind = report.ScopeTag
		}
		return &analyze.Scope{Kind: kind, Name: route.Name(), Accounts: ids}, nil
	}
	if !slices.ContainsFunc(ever, func(a model.Account) bool { return route.Matches(a.OU, a.Owner) }) {
		return nil, &config.ValidationError{Key: key, Msg: fmt.Sprintf("%s matches no account of any stored snapshot, so it can never match (%s)", route.Name(), seenOUsOwners(ever))}
	}
	return nil, nil
}

// seenOUsOwners lists the OU paths and owners stored accounts had, for an error message.
func seenOUsOwners(ever []model.Account) string {
	list := make([]config.AccountInfo, len(ever))
	for i, a := range ever {
		list[i] = config.AccountInfo{OU: a.OU, Owner: a.Owner}
	}
	return "seen in the stored snapshots: " + config.KnownOUsOwners(list)
}

// WriteRoutedReports writes the report of every route of deliver.email.routes that holds accounts
// in snap, each computed over its accounts only (analyze.Scope), as RoutedFormats into
// <dir>/routes/<slug>/. Every route is resolved first, so a route that can never match fails
// before any report is written; a route without accounts in snap is logged and left out. Two
// routes of the same OU or owner share one report.
func WriteRoutedReports(ctx context.Context, o Options, st *store.Store, snap model.Snapshot, opt analyze.Options, dir string) ([]RoutedReport, error) {
	routes := o.Config.Deliver.Email.Routes
	scopes := make([]*analyze.Scope, len(routes))
	for i, route := range routes {
		s, err := RouteScope(ctx, st, snap.ID, route, route.ScopeKey(i))
		if err != nil {
			return nil, err
		}
		if s == nil {
			o.log().Warn("route matches no account in the snapshot: nothing is sent for it", "route", route.Name(),
				"key", route.ScopeKey(i), "snapshot", snap.ID)
		}
		scopes[i] = s
	}
	var out []RoutedReport
	done := map[string]RoutedReport{}
	for i, s := range scopes {
		if s == nil {
			continue
		}
		slug := RouteSlug(s.Kind, s.Name)
		if prev, ok := done[slug]; ok {
			out = append(out, RoutedReport{Index: i, Route: routes[i], Report: prev.Report, Written: prev.Written})
			continue
		}
		start := time.Now()
		opt.Scope = s
		r, err := analyze.Build(ctx, st, snap, opt)
		if err != nil {
			return out, fmt.Errorf("route %s (%s): %w", s.Name, routes[i].ScopeKey(i), err)
		}
		written, err := WriteReports(ctx, o, st, r, RoutedFormats, filepath.Join(dir, "routes", slug))
		if err != nil {
			return out, fmt.Errorf("route %s (%s): %w", s.Name, routes[i].ScopeKey(i), err)
		}
		o.log().Info("routed report written", "route", s.Name, "accounts", len(s.Accounts), "snapshot", snap.ID,
			"files", len(written), "duration_ms", time.Since(start).Milliseconds())
		rr := RoutedReport{Index: i, Route: routes[i], Report: r, Written: written}
		done[slug] = rr
		out = append(out, rr)
	}
	return out, nil
}

// RouteSlug names a route's folder: "ou-workloads-prod", "owner-payments-team-example-com".
func RouteSlug(kind, name string) string {
	var b strings.Builder
	if kind == report.ScopeOU {
		b.WriteString("ou-")
	}
	dash := false
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}
