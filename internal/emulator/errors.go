package emulator

import (
	"fmt"
	"net/http"
)

// apiError is an error the emulator answers with, in Salesforce's shape:
// an HTTP status and `[{"message","errorCode"}]`, with `"fields"` when
// Fields is not nil: Salesforce names fields only on errors about fields and
// on save (DML) errors, where the list may be empty.
type apiError struct {
	Status  int
	Code    string
	Message string
	Fields  []string
}

// errorBody is one element of a Salesforce error array, in its key order.
type errorBody struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// body is the JSON error array Salesforce sends.
func (e *apiError) body() []any {
	if e.Fields == nil {
		return []any{errorBody{Message: e.Message, ErrorCode: e.Code}}
	}
	// A present but empty list must still be written.
	return []any{struct {
		Message   string   `json:"message"`
		ErrorCode string   `json:"errorCode"`
		Fields    []string `json:"fields"`
	}{e.Message, e.Code, e.Fields}}
}

// statusCode is the per-record form used in composite and bulk results.
func (e *apiError) statusError() map[string]any {
	fields := e.Fields
	if fields == nil {
		fields = []string{}
	}
	return map[string]any{"statusCode": e.Code, "message": e.Message, "fields": fields}
}

// saveErr is a save (DML) error: Salesforce lists its fields, even none.
func saveErr(status int, code string, format string, args ...any) *apiError {
	return errf(status, code, []string{}, format, args...)
}

func errf(status int, code string, fields []string, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Fields: fields}
}

func notFound() *apiError {
	return errf(http.StatusNotFound, "NOT_FOUND", nil, "The requested resource does not exist")
}

func invalidSession() *apiError {
	return errf(http.StatusUnauthorized, "INVALID_SESSION_ID", nil, "Session expired or invalid")
}

func notSupportedType(name string) *apiError {
	return errf(http.StatusNotFound, "NOT_FOUND", nil, "The requested resource does not exist")
}
