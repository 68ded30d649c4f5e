// Package shared holds what the `sfmcp bulk` verbs have in common: how long
// they poll, --quiet, and how an interrupted wait tells the user to resume.
package shared

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/ops"
	"github.com/sfmcp/sfmcp/internal/salesforce"
)

// PollInitialEnv overrides the first poll interval (a Go duration); tests
// set it low. The default is salesforce.DefaultPollPolicy.
const PollInitialEnv = "SFMCP_BULK_POLL"

// Poll is the polling pace for waits.
func Poll() salesforce.PollPolicy {
	p := salesforce.DefaultPollPolicy()
	if d, err := time.ParseDuration(os.Getenv(PollInitialEnv)); err == nil && d > 0 {
		p.Initial = d
		p.Max = min(p.Max, 8*d)
	}
	return p
}

// Quiet reports --quiet, reading the config when there is one.
func Quiet(f *cmdutil.Factory) bool {
	if f == nil || f.Config == nil {
		return false
	}
	cfg, err := f.Config()
	return err == nil && cfg.Quiet()
}

// ResumeHint tells how to follow jobs left running.
func ResumeHint(w io.Writer, ids []string) {
	if len(ids) == 0 {
		return
	}
	fmt.Fprintf(w, "The %s keep%s running at Salesforce. Follow %s with:\n", pluralWord(len(ids), "job", "jobs"), pick(len(ids) == 1, "s", ""), pick(len(ids) == 1, "it", "them"))
	for _, id := range ids {
		fmt.Fprintf(w, "  sfmcp bulk status %s\n  sfmcp bulk results %s --failed\n", id, id)
	}
}

// AbortAll aborts jobs even though ctx has ended (the user pressed Ctrl-C
// and asked for --abort-on-interrupt); it reports each outcome to w.
func AbortAll(ctx context.Context, c *salesforce.Client, kind salesforce.BulkJobKind, ids []string, w io.Writer) {
	ops.AbortBulkJobs(ctx, c, kind, ids, func(id string, j *salesforce.BulkJob, err error) {
		if err != nil {
			fmt.Fprintf(w, "Could not abort job %s: %v\n", id, err)
		} else {
			fmt.Fprintf(w, "Aborted job %s (%s)\n", id, j.State)
		}
	})
}

// Interrupted reports whether err is the user's Ctrl-C.
func Interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// Error turns an operation's failure into the CLI's error: input mistakes
// found before sending exit 2 (usage), bad data exits 1, Salesforce's
// answers read as Salesforce wrote them.
func Error(err error) error {
	var ie *ops.InputError
	if errors.As(err, &ie) {
		return cmdutil.FlagErrorWrap(err)
	}
	return cmdutil.SalesforceError(err)
}

// JobIDArg checks a job id argument.
func JobIDArg(s string) (string, error) {
	id, err := salesforce.ValidateBulkJobID(strings.TrimSpace(s))
	if err != nil {
		return "", cmdutil.FlagErrorWrap(err)
	}
	return id, nil
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

func pluralWord(n int, one, many string) string { return pick(n == 1, one, many) }
