package salesforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
)

// ErrorDetail is one entry of a Salesforce error array.
type ErrorDetail struct {
	// ErrorCode is like "INVALID_FIELD". Per-record results call it statusCode;
	// both spellings land here.
	ErrorCode string   `json:"errorCode"`
	Message   string   `json:"message"`
	Fields    []string `json:"fields,omitempty"`
}

// UnmarshalJSON accepts both "errorCode" (REST errors) and "statusCode"
// (per-record results in create and composite responses).
func (d *ErrorDetail) UnmarshalJSON(b []byte) error {
	var raw struct {
		ErrorCode  string   `json:"errorCode"`
		StatusCode string   `json:"statusCode"`
		Message    string   `json:"message"`
		Fields     []string `json:"fields"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	d.ErrorCode = raw.ErrorCode
	if d.ErrorCode == "" {
		d.ErrorCode = raw.StatusCode
	}
	d.Message, d.Fields = raw.Message, raw.Fields
	return nil
}

// APIError is an error answer from Salesforce: a REST error array, an OAuth
// error, or a body that is not JSON at all (a proxy's HTML page, "Bad_OAuth_Token").
// ErrorCode, Message and Fields come from the first entry; Errors has them all.
type APIError struct {
	StatusCode int
	ErrorCode  string
	Message    string
	Fields     []string
	Errors     []ErrorDetail
	// Attempts is how many times the request was sent when retries ran out; 0 or 1 otherwise.
	Attempts int
}

// Error reads like "INVALID_FIELD: No such column 'foo__c' on entity 'Lead'".
func (e *APIError) Error() string {
	var b strings.Builder
	msg := strings.TrimSpace(e.Message)
	switch {
	case e.ErrorCode != "" && (msg == "" || msg == e.ErrorCode):
		b.WriteString(e.ErrorCode)
	case e.ErrorCode != "":
		b.WriteString(e.ErrorCode + ": " + msg)
	case msg != "":
		fmt.Fprintf(&b, "HTTP %d: %s", e.StatusCode, msg)
	default:
		fmt.Fprintf(&b, "HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if n := len(e.Errors); n > 1 {
		fmt.Fprintf(&b, " (and %d more error%s)", n-1, plural(n-1))
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (HTTP %d, gave up after %d attempts)", e.StatusCode, e.Attempts)
	}
	return b.String()
}

// ExitCode makes the CLI exit 4 (authentication needed) when Salesforce
// refused the credentials with a 401, and 1 for any other answer.
func (e *APIError) ExitCode() int {
	if e.StatusCode == http.StatusUnauthorized || e.isExpiredSession() {
		return 4
	}
	return 1
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// isExpiredSession reports the answers Salesforce gives for an expired or
// revoked access token: INVALID_SESSION_ID from REST, and the plain-text
// Bad_OAuth_Token from /services/oauth2/userinfo.
func (e *APIError) isExpiredSession() bool {
	return e.ErrorCode == "INVALID_SESSION_ID" ||
		(e.StatusCode == http.StatusForbidden && e.ErrorCode == "Bad_OAuth_Token")
}

// isRetryable reports answers that may succeed if the same request is sent again.
func isRetryable(e *APIError) bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	switch e.ErrorCode {
	case "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE":
		return true
	}
	return false
}

// Bounds on messages taken from bodies: Salesforce's own messages (a SOQL
// error quotes the query) are kept whole up to a generous size; anything that
// is not JSON is someone else's page and only its gist is useful.
const (
	maxJSONMessage = 4000
	maxTextMessage = 200
)

var (
	wordPattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	titlePattern = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	tagPattern   = regexp.MustCompile(`(?s)<[^>]*>`)
	scriptStyle  = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>`)
	spaces       = regexp.MustCompile(`\s+`)
)

// parseAPIError builds an APIError from an error response of any shape.
func parseAPIError(status int, contentType string, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	trimmed := strings.TrimSpace(string(body))
	switch {
	case strings.HasPrefix(trimmed, "["):
		var details []ErrorDetail
		if json.Unmarshal([]byte(trimmed), &details) == nil && len(details) > 0 {
			e.setDetails(details)
			return e
		}
	case strings.HasPrefix(trimmed, "{"):
		var obj struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		if json.Unmarshal([]byte(trimmed), &obj) == nil {
			if obj.Error != "" { // OAuth: {"error":"invalid_grant","error_description":"..."}
				e.ErrorCode = obj.Error
				e.Message = clipText(obj.ErrorDescription, maxJSONMessage)
				return e
			}
			var d ErrorDetail
			if json.Unmarshal([]byte(trimmed), &d) == nil && (d.ErrorCode != "" || d.Message != "") {
				e.setDetails([]ErrorDetail{d})
				return e
			}
		}
	}
	e.Message = textMessage(trimmed, contentType)
	if wordPattern.MatchString(e.Message) && len(e.Message) <= 64 {
		// A bare word such as "Bad_OAuth_Token" is a code, not prose.
		e.ErrorCode = e.Message
	}
	return e
}

func (e *APIError) setDetails(details []ErrorDetail) {
	for i := range details {
		details[i].Message = clipText(details[i].Message, maxJSONMessage)
	}
	e.Errors = details
	e.ErrorCode = details[0].ErrorCode
	e.Message = details[0].Message
	e.Fields = details[0].Fields
}

// textMessage reduces a non-JSON body to one short line: an HTML page to its
// title (or its text), anything else to its first characters.
func textMessage(body, contentType string) string {
	if strings.Contains(strings.ToLower(contentType), "html") || strings.HasPrefix(body, "<") {
		if m := titlePattern.FindStringSubmatch(body); m != nil && strings.TrimSpace(m[1]) != "" {
			body = m[1]
		} else {
			body = tagPattern.ReplaceAllString(scriptStyle.ReplaceAllString(body, " "), " ")
		}
		body = html.UnescapeString(body)
	}
	return clipText(strings.TrimSpace(spaces.ReplaceAllString(body, " ")), maxTextMessage)
}

func clipText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// AuthError means the request cannot be made with the credentials at hand:
// the session expired with no way to refresh it, or the refresh was refused.
// The remedy is to log in again.
type AuthError struct {
	Message string
	// Err is the answer that caused it, usually an *APIError.
	Err error
}

// Error says what to do, then what Salesforce answered.
func (e *AuthError) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + " (" + e.Err.Error() + ")"
}

// Unwrap returns the underlying error.
func (e *AuthError) Unwrap() error { return e.Err }

// ExitCode makes the CLI exit 4 (authentication needed) on an AuthError.
func (e *AuthError) ExitCode() int { return 4 }

// NetworkError means Salesforce could not be reached or the connection broke
// (refused, reset, timed out, TLS failure).
type NetworkError struct {
	Message string
	Err     error
}

// Error names the call and the underlying network failure.
func (e *NetworkError) Error() string { return e.Message + ": " + e.Err.Error() }

// Unwrap returns the underlying error, so errors.Is(err, syscall.ECONNREFUSED) works.
func (e *NetworkError) Unwrap() error { return e.Err }

// ValidationError rejects an argument before any request is made.
type ValidationError struct {
	// Field names the argument, like "sobject" or "record id".
	Field   string
	Message string
}

// Error reads like `invalid sobject: "a/b" is not an API name ...`.
func (e *ValidationError) Error() string { return "invalid " + e.Field + ": " + e.Message }

// MultipleMatchesError is an upsert's 300 answer: the external id value
// matched several records, so none was changed.
type MultipleMatchesError struct {
	SObject, Field, Value string
	// URLs are the matching records' REST paths, as Salesforce listed them.
	URLs []string
	// IDs are the record ids taken from URLs.
	IDs []string
}

// Error lists the matching ids (the first ten).
func (e *MultipleMatchesError) Error() string {
	list := e.IDs
	if len(list) == 0 {
		list = e.URLs
	}
	shown := list
	if len(shown) > 10 {
		shown = shown[:10]
	}
	more := ""
	if len(list) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(list)-len(shown))
	}
	return fmt.Sprintf("MULTIPLE_CHOICES: %d %s records have %s = %q, so none was upserted: %s%s",
		len(list), e.SObject, e.Field, e.Value, strings.Join(shown, ", "), more)
}

// IsAuthError reports whether err means the user must log in (again).
func IsAuthError(err error) bool {
	var ae *AuthError
	if errors.As(err, &ae) {
		return true
	}
	var apiErr *APIError
	return errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusUnauthorized || apiErr.isExpiredSession())
}

// IsNotFound reports whether err means the record or resource does not exist.
func IsNotFound(err error) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.StatusCode == http.StatusNotFound || apiErr.ErrorCode == "NOT_FOUND" || apiErr.ErrorCode == "ENTITY_IS_DELETED"
}
