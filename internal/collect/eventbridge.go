package collect

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Security Hub sends every new or updated finding to EventBridge as an event of this source and
// detail-type, with the finding in detail.findings; a rule can deliver them to Kinesis Data
// Firehose, which writes them to S3 one after the other, without separators. The same finding
// comes again with each update, so such files hold repeated findings; the store keeps, per
// finding, the copy with the latest UpdatedAt (docs/operations.md).
//
// The new Security Hub sends its findings in OCSF, one per event, under another detail-type
// ("Findings Imported V2"): those are read through the OCSF mapping, like OCSF records at the
// top level (ocsfrecord.go).
const (
	securityHubSource    = "aws.securityhub"
	importedDetailType   = "Security Hub Findings - Imported"
	importedV2DetailType = "Findings Imported V2"
)

// eventParts are the members of an EventBridge event that matter, framed (raw JSON), and of an
// OCSF record its class_uid.
type eventParts struct {
	source, detailType, detail       []byte
	sourceAt, detailTypeAt, detailAt int64 // their input offsets
	classUID                         []byte
}

// event handles the EventBridge event b, framed at input offset start, whose members classify
// has found and checked, bar detail. An event of imported
// Security Hub findings has each of its detail.findings queued as a record: ASFF in a
// "Security Hub Findings - Imported" event, OCSF in a "Findings Imported V2" one (where a
// record of another class than Compliance Finding is skipped, as at the top level). Any other
// event (a custom action's, insight results, another service's such as GuardDuty's) is skipped
// and counted: it is not the state Security Hub holds of a finding, or not a Security Hub finding.
func (d *decoder) event(b []byte, start int64, ev eventParts) error {
	source, err := d.eventString(start, "source", ev.source, ev.sourceAt)
	if err != nil {
		return err
	}
	detailType, err := d.eventString(start, "detail-type", ev.detailType, ev.detailTypeAt)
	if err != nil {
		return err
	}
	v2 := detailType == importedV2DetailType
	if source != securityHubSource || (detailType != importedDetailType && !v2) {
		if err := checkValid(b, start); err != nil {
			return d.eventError(start, "", err)
		}
		return d.skip(fmt.Sprintf("EventBridge event %q from %q", clip(detailType), clip(source)), start)
	}
	// classify has checked the envelope's other members, which are not read: the event's
	// account, region and time are those of the delivery; the finding's own are in the finding.
	if ev.detail == nil {
		return d.eventError(start, "detail", errMissing)
	}
	if ev.detail[0] != '{' {
		return d.eventError(start, "detail", fmt.Errorf("got %s, want an object", kindOf(ev.detail[0])))
	}
	d.shapes.events++
	var findings []byte
	var findingsAt int64
	err = members(ev.detail, ev.detailAt, func(key string, v []byte, at int64) (bool, error) {
		if key == "findings" {
			if findings != nil { // repeated: the last counts, as in encoding/json; the others are checked
				if err := checkValid(findings, findingsAt); err != nil {
					return false, err
				}
			}
			findings, findingsAt = v, at
			return true, nil
		}
		return true, checkValid(v, at)
	})
	switch {
	case err != nil:
		return d.eventError(start, "", err)
	case findings == nil:
		return d.eventError(start, "detail.findings", errMissing)
	case findings[0] != '[':
		return d.eventError(start, "detail.findings", fmt.Errorf("got %s, want an array", kindOf(findings[0])))
	}
	// Record errors (a bad finding) are returned as they are: they name the record. Framing
	// errors name the event.
	var recErr error
	err = elements(findings, findingsAt, func(e []byte, at int64) error {
		if v2 {
			recErr = d.v2Finding(start, e, at)
		} else {
			recErr = d.record(e, at)
		}
		return recErr
	})
	switch {
	case recErr != nil:
		return recErr
	case err != nil:
		return d.eventError(start, "detail.findings", err)
	}
	return nil
}

// eventString decodes the string member field, v framed at input offset at, of the event at start.
func (d *decoder) eventString(start int64, field string, v []byte, at int64) (string, error) {
	if err := checkValid(v, at); err != nil {
		return "", d.eventError(start, field, err)
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", d.eventError(start, field, fmt.Errorf("got %s, want a string", kindOf(v[0])))
	}
	return s, nil
}

// eventError names the event at input offset start, and field when one is at fault. The event
// comes first in the message: a field error of a record would read as the record's.
func (d *decoder) eventError(start int64, field string, err error) error {
	if field != "" {
		err = fmt.Errorf("field %q: %w", field, err)
	}
	return &ImportError{File: d.name, Record: -1, Err: fmt.Errorf("EventBridge event at byte %d: %w", start, err)}
}

// clip shortens a value from the input for a description: a hostile file must not make the log
// line as long as the file.
func clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
