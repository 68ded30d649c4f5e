// Package describe implements `sfmcp describe`.
package describe

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp describe`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	SObject    string // "" lists the org's objects
	FieldsOnly bool
	Full       bool
	Exporter   cmdutil.Exporter
}

// NewCmdDescribe builds the command; runF replaces describeRun in tests.
func NewCmdDescribe(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "describe [<sobject>]",
		Short: "List objects, or describe one",
		Long: `Without an argument, list the org's objects. With one, describe that object:
its label and key prefix, then its fields (name, type, label, length, whether
it can be empty, created and updated, what it references, picklist values).

The description is trimmed to what is useful; --full prints Salesforce's whole
describe as JSON (often hundreds of KB). --fields prints only the fields.`,
		Example: `  sfmcp describe
  sfmcp describe Account
  sfmcp describe Account --fields --csv
  sfmcp describe Lead --json --jq '.fields[] | select(.type == "picklist") | .name'
  sfmcp describe Account --full > account-describe.json`,
		Args:        cobra.MaximumNArgs(1),
		Annotations: map[string]string{"ops": "salesforce_list_objects,salesforce_describe_object,salesforce_get_object_fields"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.SObject = args[0]
				if err := ops.CheckSObject(opts.SObject); err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
			} else if opts.Full || opts.FieldsOnly {
				return cmdutil.FlagErrorf("--full and --fields need an object name")
			}
			if opts.Full && opts.FieldsOnly {
				return cmdutil.FlagErrorf("--full and --fields cannot be combined")
			}
			if opts.Full && opts.Exporter.CSVFlag() {
				return cmdutil.FlagErrorf("--full is JSON only")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return describeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.FieldsOnly, "fields", false, "Print only the object's fields")
	cmd.Flags().BoolVar(&opts.Full, "full", false, "Print Salesforce's whole describe as JSON")
	cmdutil.AddJSONFlags(cmd, &opts.Exporter)
	cmdutil.AddCSVFlag(cmd, &opts.Exporter, opts.IO)
	return cmd
}

func describeRun(ctx context.Context, opts *Options) error {
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	switch {
	case opts.SObject == "":
		return listObjects(ctx, c, opts)
	case opts.FieldsOnly:
		out, err := ops.GetObjectFields(ctx, c, ops.GetObjectFieldsInput{SObject: opts.SObject})
		if err != nil {
			return cmdutil.SalesforceError(err)
		}
		return printFields(ctx, opts, out.Fields)
	}
	out, err := ops.DescribeObject(ctx, c, ops.DescribeObjectInput{SObject: opts.SObject, Full: opts.Full})
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	switch {
	case opts.Full:
		return opts.Exporter.WriteRaw(ctx, opts.IO, out.Describe)
	case opts.Exporter.CSV():
		return printFields(ctx, opts, out.Fields)
	case opts.Exporter.Enabled():
		return opts.Exporter.Write(ctx, opts.IO, out)
	}
	err = output.WriteKeyValues(opts.IO, []output.KeyValue{
		{Key: "Name", Value: out.Name},
		{Key: "Label", Value: out.Label},
		{Key: "Key prefix", Value: out.KeyPrefix},
		{Key: "Custom", Value: strconv.FormatBool(out.Custom)},
		{Key: "Can", Value: abilities(out)},
		{Key: "Fields", Value: strconv.Itoa(len(out.Fields))},
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out)
	return printFields(ctx, opts, out.Fields)
}

func abilities(d ops.DescribeObjectOutput) string {
	var can []string
	for _, a := range []struct {
		ok   bool
		name string
	}{{d.Queryable, "query"}, {d.Createable, "create"}, {d.Updateable, "update"}, {d.Deletable, "delete"}} {
		if a.ok {
			can = append(can, a.name)
		}
	}
	return strings.Join(can, ", ")
}

func printFields(ctx context.Context, opts *Options, fields []ops.FieldSummary) error {
	if opts.Exporter.Enabled() {
		if opts.Exporter.CSV() {
			rows := make([]fieldRow, 0, len(fields))
			for _, f := range fields {
				rows = append(rows, toRow(f))
			}
			return opts.Exporter.Write(ctx, opts.IO, rows)
		}
		return opts.Exporter.Write(ctx, opts.IO, fields)
	}
	t := output.NewTable(opts.IO, "NAME", "TYPE", "LABEL", "LENGTH", "FLAGS", "REFERENCES / VALUES")
	for _, f := range fields {
		r := toRow(f)
		length := ""
		if f.Length > 0 {
			length = strconv.Itoa(f.Length)
		}
		t.AddRow(r.Name, r.Type, r.Label, length, flags(f), r.Values)
	}
	return t.Render()
}

// fieldRow is a field as one CSV row.
type fieldRow struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Label       string `json:"label"`
	Length      int    `json:"length"`
	Nillable    bool   `json:"nillable"`
	Createable  bool   `json:"createable"`
	Updateable  bool   `json:"updateable"`
	ExternalID  bool   `json:"externalId"`
	ReferenceTo string `json:"referenceTo"`
	Values      string `json:"picklistValues"`
}

func toRow(f ops.FieldSummary) fieldRow {
	values := strings.Join(f.PicklistValues, "; ")
	if len(f.ReferenceTo) > 0 {
		values = strings.Join(f.ReferenceTo, ", ")
	}
	return fieldRow{Name: f.Name, Type: f.Type, Label: f.Label, Length: f.Length, Nillable: f.Nillable,
		Createable: f.Createable, Updateable: f.Updateable, ExternalID: f.ExternalID,
		ReferenceTo: strings.Join(f.ReferenceTo, ";"), Values: values}
}

// flags abbreviates what can be done with a field: required on create (R),
// read-only (ro), external id (ext).
func flags(f ops.FieldSummary) string {
	var fl []string
	if !f.Nillable && f.Createable {
		fl = append(fl, "required")
	}
	if !f.Createable && !f.Updateable {
		fl = append(fl, "read-only")
	}
	if f.ExternalID {
		fl = append(fl, "external id")
	}
	return strings.Join(fl, ", ")
}

func listObjects(ctx context.Context, c *salesforce.Client, opts *Options) error {
	out, err := ops.ListObjects(ctx, c, ops.ListObjectsInput{})
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if opts.Exporter.Enabled() {
		return opts.Exporter.Write(ctx, opts.IO, out.Objects)
	}
	t := output.NewTable(opts.IO, "NAME", "LABEL", "PREFIX", "CUSTOM")
	for _, o := range out.Objects {
		custom := ""
		if o.Custom {
			custom = "custom"
		}
		t.AddRow(o.Name, o.Label, o.KeyPrefix, custom)
	}
	return t.Render()
}
