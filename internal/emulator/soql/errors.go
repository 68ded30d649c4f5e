package soql

import (
	"strconv"
	"strings"
)

// Error is a Salesforce query error. Message carries Salesforce's full text,
// including the echoed query, the caret line and "ERROR at Row:R:Column:C".
type Error struct {
	Code    string // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, ...
	Message string
}

// Error is "CODE: message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes the engine answers with.
const (
	CodeMalformed       = "MALFORMED_QUERY"
	CodeInvalidField    = "INVALID_FIELD"
	CodeInvalidType     = "INVALID_TYPE"
	CodeOutOfRange      = "NUMBER_OUTSIDE_VALID_RANGE"
	CodeInvalidFilter   = "INVALID_QUERY_FILTER_OPERATOR"
	CodeMalformedSearch = "MALFORMED_SEARCH"
)

// posError builds an Error pointing at byte offset pos of text.
func posError(text string, pos int, code, msg string) *Error {
	if pos < 0 {
		pos = 0
	}
	if pos > len(text) {
		pos = len(text)
	}
	row, lineStart := 1, 0
	for i := 0; i < pos; i++ {
		if text[i] == '\n' {
			row++
			lineStart = i + 1
		}
	}
	col := 1
	for range text[lineStart:pos] { // count runes, not bytes
		col++
	}
	var b strings.Builder
	b.WriteString("\n")
	b.WriteString(text)
	b.WriteString("\n")
	b.WriteString(strings.Repeat(" ", col-1))
	b.WriteString("^\nERROR at Row:")
	b.WriteString(strconv.Itoa(row))
	b.WriteString(":Column:")
	b.WriteString(strconv.Itoa(col))
	b.WriteString("\n")
	b.WriteString(msg)
	return &Error{Code: code, Message: b.String()}
}

func msgNoObject(name string) string {
	return "sObject type '" + name + "' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
}

func msgNoField(name, entity string) string {
	return "No such column '" + name + "' on entity '" + entity + "'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
}

func msgNoRelationship(name string) string {
	return "Didn't understand relationship '" + name + "' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
}

func msgNoChildRelationship(name string) string {
	return "Didn't understand relationship '" + name + "' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."
}
