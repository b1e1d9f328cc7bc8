package pdf

// methodology is the appendix: how the numbers are made and why they may differ from the
// console. The wording follows docs/methodology.md, "How the numbers are computed"; keep them in step.
func (d *doc) methodology() {
	d.newPage()
	d.h1("Methodology", "How the scores and statuses in this report are computed. AWS has no public API for the security score, so this report rebuilds it from the Security Hub findings, following the method of the Security Hub user guide (\"Calculating security scores\", \"Evaluating compliance status\").", 30)
	for _, s := range methodText {
		d.need(lh(11) + 2 + 2*lh(9.5))
		d.font(sans, "B", 11, navy)
		d.text(marginX, d.y, d.cw, s.title, "L")
		d.y += lh(11) + 0.5
		d.paragraph(s.body, 9.5, ink)
		d.y += 3.5
	}
}

var methodText = []struct{ title, body string }{
	{"Which findings count",
		"Control findings only, consolidated or legacy per-standard, each mapped to one security control id. Archived findings and findings whose workflow is SUPPRESSED do not count."},
	{"Control status",
		"In a scope (an account, or the organization), over the findings of all its regions: FAILED if any finding is FAILED; else UNKNOWN if any is WARNING or NOT_AVAILABLE; else PASSED if any is PASSED; else NO_DATA. A control failing in one account or region fails for the organization. A disabled control is out of scope."},
	{"Scores",
		"A standard's score is PASSED / (PASSED + FAILED + UNKNOWN) over its controls; NO_DATA controls are left out. A control shared by several standards counts once in each. The summary score (organization and each account) counts each control once across all standards: unique PASSED controls over unique PASSED + FAILED + UNKNOWN controls, a control failing in any of its standards failing it; controls with no data are left out, as AWS leaves them out. This is the calculation and worked example of AWS's \"Calculating security scores\" page (357 of 515 unique controls = 69%, where the mean of its five standard scores would be 52%), although the same page's opening paragraph calls the summary \"the average of the standard security scores\"; this report follows the calculation and its example. The mean of the standard scores is shown beside the summary, labelled \"mean of standard scores\". Scores print rounded to a whole percent, half away from zero; n/a means no control had data, which is not 0%. The score without suppressions counts suppressed findings too, to show what suppressions hide."},
	{"Top failed controls",
		"The number of distinct accounts where the control is FAILED (in any standard), over the accounts collected in the snapshot; ranked by that count, then severity, then failed resources. The 7-day change compares with the snapshot nearest to 7 days earlier (within a day); — means there is none."},
	{"Findings",
		"Active: an ACTIVE record whose workflow is NEW or NOTIFIED and whose compliance status is FAILED, WARNING or absent (GuardDuty, Inspector, Macie...), counted by severity label. Suppressed: ACTIVE and SUPPRESSED. Remediated this month: control findings seen FAILED in one snapshot and PASSED, RESOLVED or archived in a later one taken in the report date's calendar month; by automation when the fixing change carries an automation marker."},
	{"Trend",
		"The score of each standard at every snapshot of the window. The change is the last snapshot against the first, in points of the printed scores. The target date comes from a least-squares line through the window's scores; on track when it falls within the target horizon, otherwise off track with the reason (score falling or flat, or the date beyond the horizon). Open squares mark partial snapshots. Fixed and newly failing count only control-account pairs read and enabled in both snapshots (FAILED to PASSED, and to FAILED); failures suppressed or disabled since, accounts that left and pairs not read in both are counted on their own. Time to remediate runs from each finding's FirstObservedAt, and is shown as a median only over at least 5 remediations, beside the failures still open."},
	{"Coverage",
		"Every snapshot records which account/region pairs were collected and which were not, and why. A pair that was not collected is listed and its controls are not counted, never silently taken as passing; the snapshot is then marked PARTIAL."},
	{"Why numbers can differ from the console",
		"The console scores one account (or the administrator's aggregated view) from its live control states; this report scores a snapshot as it was collected. Differences come from findings updated between the two, from controls AWS evaluates but has not yet written findings for (NO_DATA here), and from the console's own rounding."},
}
