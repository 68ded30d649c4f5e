// Package browser opens web pages for the user: the login page, mostly.
//
// $BROWSER, when set, names the program to run (its words split on spaces,
// the URL appended), as on most Unix systems; otherwise
// github.com/cli/browser picks the platform's opener (xdg-open, open, start).
// Whatever the launcher prints goes to sfmcp's stderr, never to stdout, which
// may belong to a pipe or to JSON-RPC.
package browser

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	clibrowser "github.com/cli/browser"
)

// Browser opens a URL in the user's web browser.
type Browser interface {
	Browse(url string) error
}

// New returns the system browser. launcher is the $BROWSER value ("" to use
// the platform's opener); the launcher's output goes to stderr.
func New(launcher string, stderr io.Writer) Browser {
	return &system{launcher: strings.TrimSpace(launcher), stderr: stderr}
}

// FromEnv returns the system browser honouring $BROWSER.
func FromEnv(stderr io.Writer) Browser { return New(os.Getenv("BROWSER"), stderr) }

type system struct {
	launcher string
	stderr   io.Writer
}

// cliBrowserMu guards cli/browser's package-level output writers.
var cliBrowserMu sync.Mutex

func (b *system) Browse(url string) error {
	if b.launcher != "" {
		args := strings.Fields(b.launcher)
		cmd := exec.Command(args[0], append(args[1:], url)...)
		cmd.Stdout = b.stderr
		cmd.Stderr = b.stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("$BROWSER (%s): %w", args[0], err)
		}
		return nil
	}
	cliBrowserMu.Lock()
	defer cliBrowserMu.Unlock()
	clibrowser.Stdout = b.stderr
	clibrowser.Stderr = b.stderr
	return clibrowser.OpenURL(url)
}

// Stub records the URLs it is asked to open and, when Open is set, calls it
// with each: tests use it to play the user's part.
type Stub struct {
	mu   sync.Mutex
	urls []string
	Open func(url string) error
}

// Browse records url and calls s.Open.
func (s *Stub) Browse(url string) error {
	s.mu.Lock()
	s.urls = append(s.urls, url)
	open := s.Open
	s.mu.Unlock()
	if open != nil {
		return open(url)
	}
	return nil
}

// URLs returns the URLs opened so far.
func (s *Stub) URLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.urls...)
}
