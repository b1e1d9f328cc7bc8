package collect

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/hubreport/hubreport/internal/catalog"
	"github.com/hubreport/hubreport/internal/model"
)

// convertFinding is fromSDK; a test makes it panic to check that the panic is contained.
var convertFinding = fromSDK

// fromSDK converts a finding as the SDK decoded it. It goes through rawFinding so that findings
// read from the API and from exported files are normalized by the same code (legacy control ids,
// missing Region or ProductName, workflow states, severity).
func fromSDK(x *types.AwsSecurityFinding, cat *catalog.Catalog) (*model.Finding, error) {
	r := rawFinding{
		ID:                aws.ToString(x.Id),
		ProductArn:        aws.ToString(x.ProductArn),
		ProductName:       aws.ToString(x.ProductName),
		CompanyName:       aws.ToString(x.CompanyName),
		GeneratorID:       aws.ToString(x.GeneratorId),
		AwsAccountID:      aws.ToString(x.AwsAccountId),
		Region:            aws.ToString(x.Region),
		Types:             x.Types,
		Title:             aws.ToString(x.Title),
		FirstObservedAt:   aws.ToString(x.FirstObservedAt),
		CreatedAt:         aws.ToString(x.CreatedAt),
		UpdatedAt:         aws.ToString(x.UpdatedAt),
		RecordState:       string(x.RecordState),
		UserDefinedFields: x.UserDefinedFields,
	}
	//lint:ignore SA1019 legacy findings still carry WorkflowState; the JSON path reads it too
	r.WorkflowState = string(x.WorkflowState)
	if s := x.Severity; s != nil {
		r.Severity.Label = string(s.Label)
		if s.Normalized != nil {
			r.Severity.Normalized = looseNumber{set: true, val: float64(*s.Normalized)}
		}
	}
	if c := x.Compliance; c != nil {
		r.Compliance.Status = string(c.Status)
		r.Compliance.SecurityControlID = aws.ToString(c.SecurityControlId)
		for _, s := range c.AssociatedStandards {
			r.Compliance.AssociatedStandards = append(r.Compliance.AssociatedStandards,
				struct {
					StandardsID string `json:"StandardsId"`
				}{aws.ToString(s.StandardsId)})
		}
	}
	if pf := x.ProductFields; pf != nil {
		r.ProductFields = rawProductFields{
			StandardsArn:                  pf["StandardsArn"],
			StandardsSubscriptionArn:      pf["StandardsSubscriptionArn"],
			StandardsGuideArn:             pf["StandardsGuideArn"],
			StandardsGuideSubscriptionArn: pf["StandardsGuideSubscriptionArn"],
			ControlID:                     pf["ControlId"],
			RuleID:                        pf["RuleId"],
			ProductName:                   pf["aws/securityhub/ProductName"],
			CompanyName:                   pf["aws/securityhub/CompanyName"],
		}
	}
	for _, res := range x.Resources {
		r.Resources = append(r.Resources, rawResource{Type: aws.ToString(res.Type), ID: aws.ToString(res.Id)})
	}
	if x.Workflow != nil {
		r.Workflow.Status = string(x.Workflow.Status)
	}
	if n := x.Note; n != nil {
		r.Note = rawNote{Text: aws.ToString(n.Text), UpdatedBy: aws.ToString(n.UpdatedBy), UpdatedAt: aws.ToString(n.UpdatedAt)}
	}
	f, field, err := r.finding(cat)
	if err != nil {
		return nil, &convertError{ID: r.ID, Field: field, Err: err}
	}
	return f, nil
}

// convertError is a finding from the API that cannot be stored as it is. It is left out of the
// snapshot and counted in its coverage, which makes the snapshot partial: a finding dropped
// without a trace would change the score.
type convertError struct {
	ID, Field string
	Err       error
}

func (e *convertError) Error() string {
	return fmt.Sprintf("finding %q: field %s: %v", e.ID, e.Field, e.Err)
}

func (e *convertError) Unwrap() error { return e.Err }
