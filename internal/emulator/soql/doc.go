// Package soql is the emulator's SOQL and SOSL engine. Compile parses a
// query and checks it against the org's schema, answering with Salesforce's
// own error codes and "ERROR at Row:1:Column:N" texts; Execute streams the
// FROM object through a Source and keeps only ids (plus sort keys); Page
// renders a page of those ids in the exact JSON shape of the REST query
// resource, reading child subqueries with one Scan per page. Aggregate
// queries answer ready-to-encode AggregateResult rows. CompileSearch and
// Search.Execute do the same for SOSL.
//
// Encode rows with Row.AppendJSON (or json.Encoder with SetEscapeHTML(false)):
// json.Marshal would escape <, > and & inside strings, which Salesforce does not.
package soql
