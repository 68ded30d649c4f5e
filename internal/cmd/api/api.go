// Package api implements `sfmcp api`.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/output"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// Options are the inputs of `sfmcp api`.
type Options struct {
	IO         *iostreams.IOStreams
	Salesforce func(context.Context) (*salesforce.Client, error)

	Method string
	Path   string
	Query  []string // key=value
	Body   string
}

// NewCmdAPI builds the command; runF replaces apiRun in tests.
func NewCmdAPI(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Salesforce: f.Salesforce}
	cmd := &cobra.Command{
		Use:   "api <path>",
		Short: "Send a REST request to the org",
		Long: `Send one REST request to the org's API under /services/data and print the
JSON answer. A path without /services/data is relative to the API version in
use (sobjects/Account/describe). Only paths of the org's own instance under
/services/data are sent: absolute URLs, other prefixes, "." and ".." segments
and escaped separators are refused, and redirects are not followed.`,
		Example: `  sfmcp api limits
  sfmcp api sobjects/Account/describe
  sfmcp api query --param "q=SELECT Id, Name FROM Account LIMIT 5"
  sfmcp api -X PATCH sobjects/Account/001xx000003DGb2AAG --body '{"Rating": "Hot"}'`,
		Args:        cobra.ExactArgs(1),
		Annotations: map[string]string{"ops": "salesforce_api"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Path = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return apiRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Method, "method", "X", "GET", "HTTP method: GET, POST, PATCH, PUT or DELETE")
	cmd.Flags().StringArrayVar(&opts.Query, "param", nil, "A query parameter as key=value (repeatable)")
	cmd.Flags().StringVar(&opts.Body, "body", "", "The JSON body of a POST, PATCH or PUT")
	return cmd
}

func apiRun(ctx context.Context, opts *Options) error {
	in := ops.APIInput{Method: opts.Method, Path: opts.Path}
	for _, kv := range opts.Query {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cmdutil.FlagErrorf("--param %q: want key=value", kv)
		}
		if in.Query == nil {
			in.Query = map[string]string{}
		}
		in.Query[k] = v
	}
	if opts.Body != "" {
		in.Body = json.RawMessage(opts.Body)
	}
	if err := in.Validate(); err != nil {
		return cmdutil.FlagErrorWrap(err)
	}
	c, err := opts.Salesforce(ctx)
	if err != nil {
		return err
	}
	out, err := ops.API(ctx, c, in)
	if err != nil {
		return cmdutil.SalesforceError(err)
	}
	if out.Text != "" {
		_, err := fmt.Fprintln(opts.IO.Out, out.Text)
		return err
	}
	if out.Body != nil {
		return output.WriteRawJSON(opts.IO.Out, out.Body)
	}
	if out.Items != nil {
		return output.WriteJSON(opts.IO.Out, out.Items)
	}
	_, err = fmt.Fprintf(opts.IO.Out, "HTTP %d (no body)\n", out.Status)
	return err
}
