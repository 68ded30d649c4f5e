package telemetry

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// AuditRecord is one line of the audit log: who did what, when, and how it
// ended. It names the arguments and their sizes but never holds their
// values, nor any token.
type AuditRecord struct {
	Time          time.Time `json:"time"`
	CorrelationID string    `json:"correlation_id"`
	UserID        string    `json:"user_id,omitempty"`
	OrgID         string    `json:"org_id,omitempty"`
	// Tool is the MCP tool called; Command the CLI command that wrote.
	Tool    string `json:"tool,omitempty"`
	Command string `json:"command,omitempty"`
	// Arguments are the argument names with the size in bytes of each
	// value's JSON.
	Arguments          []ArgumentSize `json:"arguments"`
	Outcome            string         `json:"outcome"` // "ok" or "error"
	ErrorCode          string         `json:"error_code,omitempty"`
	DurationMS         float64        `json:"duration_ms"`
	SalesforceRequests int            `json:"salesforce_requests"`
}

// ArgumentSize is one argument of an audited call: its name and how many
// bytes its value takes.
type ArgumentSize struct {
	Name  string `json:"name"`
	Bytes int    `json:"bytes"`
}

// pipeBuf is POSIX's PIPE_BUF on Linux: writes up to this size to a pipe
// are atomic. Longer lines take a file lock as well.
const pipeBuf = 4096

// reopenCheck is how often the log checks whether its file was rotated away.
const reopenCheck = time.Second

// AuditLog appends one JSON line per record to a file (or standard error).
// Several processes may append to one file: it is opened O_APPEND and every
// line is one write(2), under an exclusive flock when it is longer than
// PIPE_BUF. It survives log rotation: when the path no longer names the
// open file (renamed or removed by logrotate), the next write reopens it;
// Reopen does the same on demand (SIGHUP).
type AuditLog struct {
	path string // "" for a stream that is never reopened

	mu        sync.Mutex
	w         io.Writer
	f         *os.File
	lastCheck time.Time
	now       func() time.Time
}

// OpenAuditLog opens path for appending ("-" is standard error: standard
// output carries command results and, with the stdio transport, JSON-RPC).
// An unwritable path is an error now, not at the first call.
func OpenAuditLog(path string) (*AuditLog, error) {
	if path == "-" {
		return &AuditLog{w: os.Stderr, now: time.Now}, nil
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &AuditLog{path: path, w: f, f: f, now: time.Now, lastCheck: time.Now()}, nil
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return f, nil
}

// Write appends rec as one line. A failure to write is returned (callers
// log it) but never stops the call being audited.
func (a *AuditLog) Write(rec AuditRecord) error {
	if a == nil {
		return nil
	}
	if rec.Arguments == nil {
		rec.Arguments = []ArgumentSize{}
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit log: encode: %w", err)
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.path != "" {
		if now := a.now(); now.Sub(a.lastCheck) >= reopenCheck {
			a.lastCheck = now
			if a.rotated() {
				if err := a.reopenLocked(); err != nil {
					return err
				}
			}
		}
	}
	if a.f != nil && len(line) > pipeBuf {
		defer lockExclusive(a.f)()
	}
	if _, err := a.w.Write(line); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// rotated reports whether the path now names another file, or none.
func (a *AuditLog) rotated() bool {
	cur, err := a.f.Stat()
	if err != nil {
		return true
	}
	onDisk, err := os.Stat(a.path)
	return err != nil || !os.SameFile(cur, onDisk)
}

// Reopen opens the path again (after log rotation); a stream is left alone.
func (a *AuditLog) Reopen() error {
	if a == nil || a.path == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reopenLocked()
}

func (a *AuditLog) reopenLocked() error {
	f, err := openAppend(a.path)
	if err != nil {
		return err
	}
	_ = a.f.Close()
	a.f, a.w = f, f
	return nil
}

// Close closes the file.
func (a *AuditLog) Close() error {
	if a == nil || a.f == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Close()
}
