// Package estate is the data the emulator serves: an organization's accounts, the findings of
// its accounts, the control catalog Security Hub describes and the controls disabled per account.
// Whoever starts the emulator builds an Estate (cmd/fakeaws and the tests use the demo
// organization, see internal/collect/demo/demoaws) or reads findings from an ASFF document
// (DecodeFindings); the emulator owns these types so that it imports nothing of the product.
package estate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Estate is what the emulated services serve.
type Estate struct {
	// Administrator is the Security Hub delegated administrator account; it must be an ACTIVE
	// account of Accounts.
	Administrator string
	// Management is the organization's management account; "": the first account.
	Management string
	// OrganizationID is the organization's id (o-...); "": derived from Management.
	OrganizationID string
	// Regions are the regions Security Hub runs in, home (aggregation) region first.
	Regions []string
	// Standards are the standards enabled in every account and region, as resource ids
	// (standards/pci-dss/v/3.2.1, ruleset/cis-aws-foundations-benchmark/v/1.2.0).
	Standards []string
	// Now is the estate's clock: DateRange filters count back from it, since the findings do not
	// move with the wall clock.
	Now time.Time
	// Accounts are the organization's accounts in ListAccounts order, ACTIVE and SUSPENDED.
	Accounts []Account
	// Findings are the findings of every account and region, in any order.
	Findings []*Finding
	// Catalog is what DescribeStandards, ListSecurityControlDefinitions and
	// ListStandardsControlAssociations describe.
	Catalog Catalog
	// DisabledControls are the controls disabled per account (control associations).
	DisabledControls []DisabledControl
}

// Account is an account as Organizations lists it.
type Account struct {
	AccountID    string
	Name         string
	Email        string
	Status       string // ACTIVE, SUSPENDED; "": ACTIVE
	JoinedMethod string // CREATED, INVITED; "": CREATED
	Joined       time.Time
	// OU is the account's OU path below the root ("Workloads/Prod"); "": directly under the
	// root. The emulator derives the OU tree from the accounts' paths.
	OU string
	// Tags are the account's tags (Organizations ListTagsForResource), e.g. owner.
	Tags map[string]string
}

// Active reports whether the account is ACTIVE.
func (a Account) Active() bool { return a.Status == "" || a.Status == StatusActive }

// Organizations account statuses.
const (
	StatusActive    = "ACTIVE"
	StatusSuspended = "SUSPENDED"
)

// Catalog is the Security Hub control catalog the emulator describes.
type Catalog struct {
	Standards []Standard
	Controls  []Control
}

// Standard is a Security Hub standard.
type Standard struct {
	ID               string // resource id
	Name             string
	ShortName        string
	EnabledByDefault bool
}

// Control is a security control.
type Control struct {
	ID             string // e.g. "S3.1"
	Title          string
	Severity       string
	Standards      []string // resource ids of the standards that contain it
	RemediationURL string   // "": DefaultRemediationURL
}

// DisabledControl is a control disabled in an account. An empty Region or Standard (a resource id
// such as standards/pci-dss/v/3.2.1) means every one.
type DisabledControl struct {
	Account, Region, Standard, ControlID, Reason string
}

// Finding is one ASFF finding, the fields the emulator filters, sorts and writes.
type Finding struct {
	ID                 string // ASFF Id
	ProductARN         string
	ProductName        string
	CompanyName        string
	GeneratorID        string
	AccountID          string
	Region             string
	Type               string // first of Types
	Title              string
	ResourceType       string // first resource
	ResourceID         string
	ControlID          string   // Compliance.SecurityControlId; "" for non-control findings
	Standards          []string // Compliance.AssociatedStandards as resource ids
	FirstObservedAt    time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
	SeverityLabel      string
	SeverityNormalized int
	ComplianceStatus   string
	WorkflowStatus     string // NEW, NOTIFIED, SUPPRESSED, RESOLVED
	RecordState        string // ACTIVE, ARCHIVED
	NoteText           string
	NoteUpdatedBy      string
	NoteUpdatedAt      time.Time
	UserDefinedFields  map[string]string
}

// DefaultRemediationURL is a control's page in the Security Hub user guide.
func DefaultRemediationURL(controlID string) string {
	service, _, _ := strings.Cut(controlID, ".")
	s := strings.ToLower(service)
	return "https://docs.aws.amazon.com/securityhub/latest/userguide/" + s + "-controls.html#" +
		s + "-" + strings.ToLower(strings.TrimPrefix(controlID, service+"."))
}

// URL is the control's remediation page.
func (c Control) URL() string {
	if c.RemediationURL != "" {
		return c.RemediationURL
	}
	return DefaultRemediationURL(c.ID)
}

// Control finds a control by id.
func (c *Catalog) Control(id string) (Control, bool) {
	i := slices.IndexFunc(c.Controls, func(ctl Control) bool { return ctl.ID == id })
	if i < 0 {
		return Control{}, false
	}
	return c.Controls[i], true
}

// Standard finds a standard by ARN or resource id.
func (c *Catalog) Standard(arnOrID string) (Standard, bool) {
	id := StandardID(arnOrID)
	i := slices.IndexFunc(c.Standards, func(s Standard) bool { return s.ID == id })
	if i < 0 {
		return Standard{}, false
	}
	return c.Standards[i], true
}

// StandardID is the resource id of a standard named by its ARN, its subscription ARN or its id:
//
//	arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0      -> ruleset/cis-aws-foundations-benchmark/v/1.2.0
//	arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1                 -> standards/pci-dss/v/3.2.1
//	arn:aws:securityhub:us-east-1:111122223333:subscription/pci-dss/v/3.2.1  -> standards/pci-dss/v/3.2.1
func StandardID(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "arn:") {
		if parts := strings.SplitN(s, ":", 6); len(parts) == 6 {
			s = parts[5]
		}
	}
	if rest, ok := strings.CutPrefix(s, "subscription/"); ok {
		// The CIS 1.2.0 ruleset's subscriptions keep the ruleset prefix.
		prefix := "standards/"
		if strings.HasPrefix(rest, "cis-aws-foundations-benchmark/v/1.2.0") {
			prefix = "ruleset/"
		}
		s = prefix + rest
	}
	return strings.TrimSuffix(s, "/")
}

// Org is an estate's organization, checked and indexed.
type Org struct {
	Admin      string
	Management string
	ID         string
	Accounts   []Account // ListAccounts order
	byID       map[string]int
}

// NewOrg checks the estate's organization and indexes it.
func NewOrg(e *Estate) (*Org, error) {
	if len(e.Accounts) == 0 {
		return nil, fmt.Errorf("estate: no accounts")
	}
	if len(e.Regions) == 0 {
		return nil, fmt.Errorf("estate: no regions")
	}
	o := &Org{Admin: e.Administrator, Management: e.Management, ID: e.OrganizationID,
		Accounts: slices.Clone(e.Accounts), byID: map[string]int{}}
	for i, a := range o.Accounts {
		if !isAccountID(a.AccountID) {
			return nil, fmt.Errorf("estate: account %q is not twelve digits", a.AccountID)
		}
		if _, dup := o.byID[a.AccountID]; dup {
			return nil, fmt.Errorf("estate: account %s listed twice", a.AccountID)
		}
		if a.Status == "" {
			o.Accounts[i].Status = StatusActive
		}
		if a.JoinedMethod == "" {
			o.Accounts[i].JoinedMethod = "CREATED"
		}
		o.byID[a.AccountID] = i
	}
	if o.Management == "" {
		o.Management = o.Accounts[0].AccountID
	}
	if o.Admin == "" {
		o.Admin = o.Management
	}
	for _, id := range []string{o.Admin, o.Management} {
		if a, ok := o.Account(id); !ok || !a.Active() {
			return nil, fmt.Errorf("estate: account %s is not an ACTIVE account of the organization", id)
		}
	}
	if o.ID == "" {
		sum := sha256.Sum256([]byte("org/" + o.Management))
		o.ID = "o-" + hex.EncodeToString(sum[:5])
	}
	return o, nil
}

// Account finds an account of the organization.
func (o *Org) Account(id string) (Account, bool) {
	i, ok := o.byID[id]
	if !ok {
		return Account{}, false
	}
	return o.Accounts[i], true
}

// Active reports whether id is an ACTIVE account of the organization.
func (o *Org) Active(id string) bool {
	a, ok := o.Account(id)
	return ok && a.Active()
}

func isAccountID(s string) bool { return len(s) == 12 && strings.Trim(s, "0123456789") == "" }
