package config

import (
	"errors"
	"strings"
	"testing"
)

func TestExceptionsConfig(t *testing.T) {
	cfg, err := Load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Exceptions != (Exceptions{ExpiryField: "exception_expires", MaxAgeDays: 365}) {
		t.Errorf("defaults %+v", cfg.Exceptions)
	}
	cfg, err = Load(strings.NewReader("exceptions: {expiry_field: risk_until}\n"),
		[]string{"REPORTER_EXCEPTIONS_MAX_AGE_DAYS=0"})
	if err != nil || cfg.Exceptions != (Exceptions{ExpiryField: "risk_until", MaxAgeDays: 0}) {
		t.Errorf("file and environment: %+v, %v", cfg.Exceptions, err)
	}
	for _, tt := range []struct{ yaml, key string }{
		{"exceptions: {max_age_days: -1}\n", "exceptions.max_age_days"},
		{"exceptions: {expiry_field: \" \"}\n", "exceptions.expiry_field"},
	} {
		_, err := Load(strings.NewReader(tt.yaml), nil)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Key != tt.key {
			t.Errorf("%q: %v, want a ValidationError naming %s", tt.yaml, err, tt.key)
		}
	}
}
