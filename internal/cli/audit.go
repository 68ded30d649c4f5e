package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// auditWrites makes every command that runs a writing operation (its "ops"
// annotation names an operation that is not read-only) leave one audit line
// when --audit-log is set. The line is written by end, after the command.
type auditWrites struct {
	f    *cmdutil.Factory
	call *telemetry.Call
	ctx  context.Context
}

// install hooks the root command; it keeps any hook already there.
func (a *auditWrites) install(root *cobra.Command) {
	prev := root.PersistentPreRunE
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if prev != nil {
			if err := prev(c, args); err != nil {
				return err
			}
		}
		return a.begin(c, args)
	}
}

func (a *auditWrites) begin(c *cobra.Command, args []string) error {
	if !writes(c) {
		return nil
	}
	cfg, err := a.f.Config()
	if err != nil {
		return err
	}
	path := cfg.String(config.KeyAuditLog)
	if path == "" {
		return nil
	}
	log, err := telemetry.OpenAuditLog(path)
	if err != nil {
		return fmt.Errorf("--audit-log %s: cannot open it for appending: %w", path, errors.Unwrap(err))
	}
	if a.f.Telemetry == nil {
		a.f.Telemetry = &telemetry.Telemetry{}
	}
	a.f.Telemetry.Audit = log
	var sizes []telemetry.ArgumentSize
	c.Flags().Visit(func(fl *pflag.Flag) {
		if fl.Name != "audit-log" {
			sizes = append(sizes, telemetry.ArgumentSize{Name: "--" + fl.Name, Bytes: len(fl.Value.String())})
		}
	})
	for i, v := range args {
		sizes = append(sizes, telemetry.ArgumentSize{Name: fmt.Sprintf("arg%d", i+1), Bytes: len(v)})
	}
	ctx := c.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, a.call = a.f.Telemetry.StartCall(ctx, "", c.CommandPath(), newID(), sizes)
	a.ctx = ctx
	c.SetContext(ctx)
	return nil
}

// end writes the audit line of the command that ran, if it was audited.
func (a *auditWrites) end(err error) {
	if a.call == nil {
		return
	}
	a.call.End(a.ctx, errorCode(err))
	_ = a.f.Telemetry.Audit.Close()
}

// writes reports whether c runs an operation that changes the org.
func writes(c *cobra.Command) bool {
	names := c.Annotations["ops"]
	if names == "" {
		return false
	}
	for _, e := range ops.Catalogue() {
		for n := range strings.SplitSeq(names, ",") {
			if e.Meta.Name == n && !e.Meta.ReadOnly {
				return true
			}
		}
	}
	return false
}

func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var apiErr *salesforce.APIError
	var authErr *salesforce.AuthError
	var inErr *ops.InputError
	switch {
	case errors.As(err, &authErr):
		return "AUTHENTICATION_REQUIRED"
	case errors.As(err, &apiErr) && apiErr.ErrorCode != "":
		return apiErr.ErrorCode
	case errors.As(err, &inErr), cmdutil.IsUsageError(err):
		return "INVALID_ARGUMENT"
	case errors.Is(err, context.Canceled), errors.Is(err, cmdutil.ErrCancel):
		return "CANCELLED"
	}
	return "ERROR"
}

// newID is a random UUID (version 4), the CLI's correlation id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
