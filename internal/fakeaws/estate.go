package fakeaws

import (
	"io"

	"github.com/hubreport/hubreport/internal/fakeaws/auditmanager"
	"github.com/hubreport/hubreport/internal/fakeaws/core"
	"github.com/hubreport/hubreport/internal/fakeaws/estate"
	"github.com/hubreport/hubreport/internal/fakeaws/s3"
	"github.com/hubreport/hubreport/internal/fakeaws/securityhub"
	"github.com/hubreport/hubreport/internal/fakeaws/ses"
)

// The types callers hand over or get back, from the packages that define them, so that a caller
// needs only this package.

// The estate (package estate).
type (
	Estate          = estate.Estate
	Account         = estate.Account
	Finding         = estate.Finding
	Catalog         = estate.Catalog
	Standard        = estate.Standard
	Control         = estate.Control
	DisabledControl = estate.DisabledControl
)

// DecodeFindings reads an ASFF document (a JSON array or {"Findings": [...]}) into findings an
// Estate can serve.
func DecodeFindings(r io.Reader) ([]*Finding, error) { return estate.DecodeFindings(r) }

// EstateFromFindings is the estate that serves findings read by DecodeFindings: the accounts,
// regions and standards they name (see estate.FromFindings). Set its Catalog before serving it.
func EstateFromFindings(findings []*Finding) (*Estate, error) { return estate.FromFindings(findings) }

// EncodeFindings writes findings as the {"Findings": [...]} document `aws securityhub
// get-findings` prints, encoded as the emulator's GetFindings sends them.
func EncodeFindings(w io.Writer, findings []*Finding) error {
	return estate.EncodeFindings(w, findings)
}

// Shared behaviour (package core).
type (
	Stats        = core.Stats
	OptionsError = core.OptionsError
)

// DefaultCredentialTTL is how long the credentials AssumeRole issues live unless
// Options.CredentialTTL says otherwise.
const DefaultCredentialTTL = core.DefaultCredentialTTL

// AccessKeyFor is the access key id that makes requests act as account.
func AccessKeyFor(account string) string { return core.AccessKeyFor(account) }

// Security Hub's central configuration (package securityhub).
type (
	CentralConfiguration = securityhub.CentralConfiguration
	ConfigurationPolicy  = securityhub.ConfigurationPolicy
)

// RootID is the emulated organization's root; SelfManaged the policy id of self-managed targets.
const (
	RootID      = securityhub.RootID
	SelfManaged = securityhub.SelfManaged
)

// Audit Manager (package auditmanager).
type (
	AuditManagerOptions = auditmanager.Options
	Assessment          = auditmanager.Assessment
	ControlSet          = auditmanager.ControlSet
	ImportedEvidence    = auditmanager.ImportedEvidence
)

// Audit Manager's limit and where the presigned uploads are served.
const (
	DefaultDailyUploadsPerControl = auditmanager.DefaultDailyUploadsPerControl
	UploadPathPrefix              = auditmanager.UploadPathPrefix
)

// S3Object is an object the emulated S3 stores (package s3).
type S3Object = s3.Object

// S3MaxObjectSize is the largest single PUT.
const S3MaxObjectSize = s3.MaxObjectSize

// SES (package ses).
type SentEmail = ses.SentEmail

// SES's limits and where the sent emails are listed.
const (
	SESMaxRecipients     = ses.MaxRecipients
	SESMaxRawMessageSize = ses.MaxRawMessageSize
	SESMessagesPath      = ses.MessagesPath
)
