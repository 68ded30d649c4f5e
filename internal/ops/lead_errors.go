package ops

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/sfmcp/sfmcp/internal/salesforce"
)

type correlationKey struct{}

// WithCorrelationID returns ctx carrying the id of the call it belongs to,
// so errors and logs of the operations can name it.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the call's id from ctx, or "" when it has none.
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// NewCorrelationID returns a random UUID (version 4).
func NewCorrelationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// LeadError is how a lead operation fails: the cause (an *InputError, a
// Salesforce error, a SOAP fault) with the call's correlation id. It
// unwraps to the cause, so exit codes and error classification see it.
type LeadError struct {
	Err           error
	CorrelationID string
}

func (e *LeadError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *LeadError) Unwrap() error { return e.Err }

// ErrorBody is a failed call in the lead-sync server's shape, with
// Salesforce's own error code beside it.
type ErrorBody struct {
	Success       bool          `json:"success"`
	Error         string        `json:"error"`
	ErrorCode     string        `json:"error_code,omitempty"`
	Details       []ErrorDetail `json:"details"`
	CorrelationID string        `json:"correlation_id"`
}

// ErrorDetail is one problem: the argument or field it concerns, and why.
type ErrorDetail struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Body renders the error as {success:false, error, details, correlation_id}.
func (e *LeadError) Body() ErrorBody {
	b := ErrorBody{Success: false, Error: e.Err.Error(), CorrelationID: e.CorrelationID, Details: []ErrorDetail{}}
	var (
		inErr   *InputError
		valErr  *salesforce.ValidationError
		authErr *salesforce.AuthError
		apiErr  *salesforce.APIError
		netErr  *salesforce.NetworkError
	)
	switch {
	case errors.As(e.Err, &inErr):
		b.Error, b.ErrorCode = "Validation Error", "INVALID_ARGUMENT"
		b.Details = append(b.Details, ErrorDetail{Field: inErr.Field, Message: inErr.RenderMessage(Names{})})
	case errors.As(e.Err, &valErr):
		b.Error, b.ErrorCode = "Validation Error", "INVALID_ARGUMENT"
		b.Details = append(b.Details, ErrorDetail{Field: valErr.Field, Message: valErr.Message})
	case errors.As(e.Err, &authErr):
		b.Error, b.ErrorCode = "Authentication Error", "AUTHENTICATION_REQUIRED"
		b.Details = append(b.Details, ErrorDetail{Message: authErr.Error()})
	case errors.As(e.Err, &apiErr):
		b.ErrorCode = apiErr.ErrorCode
		details := apiErr.Errors
		if len(details) == 0 {
			details = []salesforce.ErrorDetail{{ErrorCode: apiErr.ErrorCode, Message: apiErr.Message, Fields: apiErr.Fields}}
		}
		for _, d := range details {
			b.Details = append(b.Details, ErrorDetail{Field: strings.Join(d.Fields, ","), Message: d.Message})
		}
	case errors.As(e.Err, &netErr):
		b.ErrorCode = "NETWORK_ERROR"
		b.Details = append(b.Details, ErrorDetail{Message: netErr.Error()})
	default:
		b.Details = append(b.Details, ErrorDetail{Message: e.Err.Error()})
	}
	return b
}

// leadFail wraps err for a lead operation, naming the call.
func leadFail(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var le *LeadError
	if errors.As(err, &le) {
		return err
	}
	return &LeadError{Err: err, CorrelationID: CorrelationID(ctx)}
}
