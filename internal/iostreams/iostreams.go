// Package iostreams holds the process's standard streams and what sfmcp needs
// to know about them: whether each is a terminal, whether colour is wanted and
// how wide the terminal is. Commands write through an *IOStreams, never to
// os.Stdout directly, so tests can capture output and pretend to be a TTY.
//
// Under `sfmcp serve --transport stdio` stdout belongs to JSON-RPC alone; every
// human message goes to ErrOut.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// DefaultWidth is the terminal width assumed when it cannot be measured.
const DefaultWidth = 80

// IOStreams is stdin, stdout and stderr plus their terminal properties.
type IOStreams struct {
	In     io.Reader // standard input
	Out    io.Writer // command output: data, tables, JSON
	ErrOut io.Writer // diagnostics, warnings, errors, progress

	// Overrides set by tests (or by callers that know better); nil means detect.
	stdinTTY, stdoutTTY, stderrTTY *bool
	colorEnabled                   *bool
	width                          int

	getenv func(string) string
}

// System returns streams over os.Stdin, os.Stdout and os.Stderr.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, getenv: os.Getenv}
}

// Test returns streams over in-memory buffers (stdin, stdout, stderr), none of
// them a terminal, colour off and width DefaultWidth. Use the Set* methods to
// pretend otherwise.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	f := false
	ios = &IOStreams{
		In: in, Out: out, ErrOut: errOut,
		stdinTTY: &f, stdoutTTY: &f, stderrTTY: &f, colorEnabled: &f,
		width:  DefaultWidth,
		getenv: func(string) string { return "" },
	}
	return ios, in, out, errOut
}

// SetStdinTTY overrides terminal detection for stdin.
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = &v }

// SetStdoutTTY overrides terminal detection for stdout.
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = &v }

// SetStderrTTY overrides terminal detection for stderr.
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = &v }

// SetColorEnabled overrides ColorEnabled.
func (s *IOStreams) SetColorEnabled(v bool) { s.colorEnabled = &v }

// SetTerminalWidth overrides TerminalWidth; 0 means measure.
func (s *IOStreams) SetTerminalWidth(w int) { s.width = w }

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return isTTY(s.stdinTTY, s.In) }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return isTTY(s.stdoutTTY, s.Out) }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return isTTY(s.stderrTTY, s.ErrOut) }

// CanPrompt reports whether interactive questions may be asked: only when both
// stdin and stdout are terminals.
func (s *IOStreams) CanPrompt() bool { return s.IsStdinTTY() && s.IsStdoutTTY() }

// ColorEnabled reports whether stdout output may carry ANSI colour: never when
// NO_COLOR is set to anything (https://no-color.org), nor when stdout is not a
// terminal, nor when TERM=dumb.
func (s *IOStreams) ColorEnabled() bool {
	if s.colorEnabled != nil {
		return *s.colorEnabled
	}
	if s.env("NO_COLOR") != "" || s.env("TERM") == "dumb" {
		return false
	}
	return s.IsStdoutTTY()
}

// TerminalWidth is stdout's width in columns: the override if set, else the
// measured width, else $COLUMNS, else DefaultWidth.
func (s *IOStreams) TerminalWidth() int {
	if s.width > 0 {
		return s.width
	}
	if f, ok := s.Out.(fder); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	if n, err := strconv.Atoi(s.env("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return DefaultWidth
}

func (s *IOStreams) env(name string) string {
	if s.getenv == nil {
		return os.Getenv(name)
	}
	return s.getenv(name)
}

// fder is what *os.File offers for terminal checks.
type fder interface{ Fd() uintptr }

func isTTY(override *bool, stream any) bool {
	if override != nil {
		return *override
	}
	f, ok := stream.(fder)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ColorScheme wraps text in ANSI styles when colour is enabled.
type ColorScheme struct{ enabled bool }

// ColorScheme returns the styles for stdout.
func (s *IOStreams) ColorScheme() ColorScheme { return ColorScheme{enabled: s.ColorEnabled()} }

func (c ColorScheme) wrap(code, text string) string {
	if !c.enabled || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// Bold renders text in bold.
func (c ColorScheme) Bold(text string) string { return c.wrap("1", text) }

// Gray renders text dimmed, for secondary information.
func (c ColorScheme) Gray(text string) string { return c.wrap("90", text) }

// Red renders text red, for failures.
func (c ColorScheme) Red(text string) string { return c.wrap("31", text) }

// Green renders text green, for success.
func (c ColorScheme) Green(text string) string { return c.wrap("32", text) }

// Yellow renders text yellow, for warnings.
func (c ColorScheme) Yellow(text string) string { return c.wrap("33", text) }
