package store

import (
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/hubreport/hubreport/internal/model"
)

// Staging. A finding crosses into DuckDB as one row of stage_rows in which each column that
// repeats across findings (account, region, control, title, statuses, ...) holds the id of a
// string in stage_strings, and standards the id of a list in stage_standard_sets. Handing DuckDB a
// string costs a cgo call and a copy, an integer neither: at 200,000 findings, staging every
// string took longer than decoding the file. The merge reads them through staged(), which puts the
// strings back. Ids mean nothing outside one snapshot; the hashes that tell versions and
// states apart are computed on the strings.
//
// The ids only pay where values repeat. Each finding's own strings (its id, its resource) and
// the free text that people and ticketing integrations write (the note, the user-defined
// fields, often one ticket per finding) are staged as strings: interned, a note per finding made
// the lookup list as long as the file, and 200,000 such findings took 7.5 s instead of 4.4 s.

// stagedStrings are the columns staged as ids of stage_strings, in stage_rows order, and
// stagedStringValues gives a finding's values for them.
var stagedStrings = [...]string{"product_arn", "product_name", "company_name", "generator_id",
	"account_id", "region", "type", "title", "resource_type", "control_id", "severity_label",
	"compliance_status", "workflow_status", "record_state", "note_updated_by"}

func stagedStringValues(f *model.Finding) [len(stagedStrings)]string {
	return [...]string{f.ProductARN, f.ProductName, f.CompanyName, f.GeneratorID, f.AccountID,
		f.Region, f.Type, f.Title, f.ResourceType, f.ControlID, f.SeverityLabel, f.ComplianceStatus,
		f.WorkflowStatus, f.RecordState, f.NoteUpdatedBy}
}

// stageRowColumns come first in stage_rows, then stagedStrings; AddFinding appends them in
// this order.
const stageRowColumns = `ord BIGINT, finding_id VARCHAR, resource_id VARCHAR, note_text VARCHAR,
    user_defined_fields VARCHAR, standards INTEGER, first_observed_at TIMESTAMP, created_at TIMESTAMP,
    updated_at TIMESTAMP, note_updated_at TIMESTAMP, severity_normalized SMALLINT`

// stagingDDL creates the staging tables.
func stagingDDL() string {
	cols := []string{stageRowColumns}
	for _, c := range stagedStrings {
		cols = append(cols, c+" INTEGER")
	}
	return `CREATE OR REPLACE TEMP TABLE stage_rows (` + strings.Join(cols, ", ") + `);
CREATE OR REPLACE TEMP TABLE stage_strings (id INTEGER, s VARCHAR);
CREATE OR REPLACE TEMP TABLE stage_standard_sets (id INTEGER, standards VARCHAR[]);`
}

const dropStaging = `DROP TABLE IF EXISTS temp.stage_rows; DROP TABLE IF EXISTS temp.stage_strings;
DROP TABLE IF EXISTS temp.stage_standard_sets; DROP TABLE IF EXISTS temp.stage_dict`

// staged is a subquery over the staged findings giving ord and the named columns with their
// strings put back. The strings are looked up by position in the lists of stage_dict (built at
// Commit; ids are 1, 2, 3, ...): one hash join per interned column cost more time, and each
// join's hash table a fixed slice of DuckDB's memory limit.
func staged(cols ...string) string {
	sel := []string{"r.ord"}
	for _, c := range cols {
		switch {
		case c == "standards":
			sel = append(sel, "d.sets[r.standards] AS standards")
		case slices.Contains(stagedStrings[:], c):
			sel = append(sel, fmt.Sprintf("d.strs[r.%[1]s] AS %[1]s", c))
		default:
			sel = append(sel, "r."+c)
		}
	}
	return "(SELECT " + strings.Join(sel, ", ") + " FROM temp.stage_rows r CROSS JOIN temp.stage_dict d)"
}

// interner gives each distinct value a small id (1, 2, 3, ... in order) and appends (id, value)
// to its table the first time it sees it. It forgets everything when it holds maxInterned values, so memory stays
// bounded when a column turns out not to repeat: a value seen again after that gets a second id,
// which costs a row and changes nothing else.
type interner struct {
	ids  map[string]int32
	next int32
	app  *duckdb.Appender
}

// maxInterned is a variable so that a test can make the interner forget often.
var maxInterned = 1 << 16

func newInterner(dc driver.Conn, table string) (*interner, error) {
	a, err := duckdb.NewAppender(dc, "temp", "main", table)
	return &interner{ids: map[string]int32{}, app: a}, err
}

func (in *interner) id(key string, value driver.Value) (int32, error) {
	if len(in.ids) >= maxInterned {
		clear(in.ids)
	}
	in.next++
	// A decoded string shares its memory with its whole record: the map keeps a copy of its own.
	in.ids[strings.Clone(key)] = in.next
	return in.next, in.app.AppendRow(in.next, value)
}

func (in *interner) str(s string) (int32, error) {
	if id, ok := in.ids[s]; ok {
		return id, nil
	}
	return in.id(s, s)
}

// set interns a list of standards, sorted so that the same set always has the same value.
func (in *interner) set(stds []string) (int32, error) {
	if !slices.IsSorted(stds) {
		stds = slices.Sorted(slices.Values(stds))
	}
	var key []byte // each id length-prefixed, so that no two lists share a key
	for _, s := range stds {
		key = binary.AppendUvarint(key, uint64(len(s)))
		key = append(key, s...)
	}
	if id, ok := in.ids[string(key)]; ok {
		return id, nil
	}
	if stds == nil {
		stds = []string{}
	}
	return in.id(string(key), stds)
}

func (in *interner) appOrNil() *duckdb.Appender {
	if in == nil {
		return nil
	}
	return in.app
}
