package emulator

import (
	"fmt"
	"net/http"
)

// apiError is an error the emulator answers with, in Salesforce's shape:
// an HTTP status and `[{"message","errorCode","fields"}]`.
type apiError struct {
	Status  int
	Code    string
	Message string
	Fields  []string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// body is the JSON error array Salesforce sends.
func (e *apiError) body() []map[string]any {
	fields := e.Fields
	if fields == nil {
		fields = []string{}
	}
	return []map[string]any{{"message": e.Message, "errorCode": e.Code, "fields": fields}}
}

// statusCode is the per-record form used in composite and bulk results.
func (e *apiError) statusError() map[string]any {
	fields := e.Fields
	if fields == nil {
		fields = []string{}
	}
	return map[string]any{"statusCode": e.Code, "message": e.Message, "fields": fields}
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
