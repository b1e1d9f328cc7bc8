package config

import (
	"fmt"
	"strings"
)

// Exceptions configures how suppressed findings are governed as accepted risks.
type Exceptions struct {
	// ExpiryField is the UserDefinedFields key that holds a suppression's expiry: a date
	// (YYYY-MM-DD) or an RFC 3339 time.
	ExpiryField string `yaml:"expiry_field"`
	// MaxAgeDays: a suppression without the expiry field expires this many days after it was
	// last set or reviewed (its note's UpdatedAt, else the finding's). 0: no maximum age.
	MaxAgeDays int `yaml:"max_age_days"`
}

// DefaultExceptions are the defaults: an accepted risk is reviewed at least once a year, the
// interval most audit frameworks (PCI DSS, ISO 27001 risk treatment, SOC 2) expect.
func DefaultExceptions() Exceptions {
	return Exceptions{ExpiryField: "exception_expires", MaxAgeDays: 365}
}

func (e Exceptions) validate() error {
	if strings.TrimSpace(e.ExpiryField) == "" {
		return &ValidationError{Key: "exceptions.expiry_field", Msg: "must not be empty (the default is exception_expires)"}
	}
	if e.MaxAgeDays < 0 || e.MaxAgeDays > 3660 {
		return &ValidationError{Key: "exceptions.max_age_days", Msg: fmt.Sprintf("%d is not between 0 (no maximum) and 3660 days", e.MaxAgeDays)}
	}
	return nil
}
