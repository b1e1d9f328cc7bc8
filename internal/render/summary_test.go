package render

import (
	"context"
	"strings"
	"testing"
)

// TestEmailHeadlineIsUniqueControlScore: the subject and the big number are the summary score
// that counts each control once (75% in fullReport), never the mean of the standard scores (80%),
// which the body shows beside it with its label.
func TestEmailHeadlineIsUniqueControlScore(t *testing.T) {
	mail, err := Email(context.Background(), fullReport(), EmailOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(mail.Subject, ": 75%") {
		t.Errorf("subject %q, want it to end with the unique-control summary score 75%%", mail.Subject)
	}
	for _, want := range []string{">75%<", "300 of 402 controls passed, each control counted once", "mean of standard scores: 80%"} {
		if !strings.Contains(mail.HTML, want) {
			t.Errorf("email html lacks %q:\n%s", want, mail.HTML)
		}
	}
}
