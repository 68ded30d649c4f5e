package iostreams

import (
	"os"
	"testing"
)

func TestColorEnabled(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		want bool
	}{
		{"tty", true, nil, true},
		{"piped", false, nil, false},
		{"tty with NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, false},
		{"tty with TERM=dumb", true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := Test()
			ios.getenv = func(k string) string { return tt.env[k] }
			ios.colorEnabled = nil // detect
			ios.SetStdoutTTY(tt.tty)
			if got := ios.ColorEnabled(); got != tt.want {
				t.Errorf("ColorEnabled() = %v, want %v", got, tt.want)
			}
			if got := ios.ColorScheme().Bold("x"); (got != "x") != tt.want {
				t.Errorf("Bold(x) = %q with colour %v", got, tt.want)
			}
		})
	}
}

func TestTestStreams(t *testing.T) {
	ios, _, out, _ := Test()
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() || ios.CanPrompt() {
		t.Fatal("test streams must not be terminals by default")
	}
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	if !ios.CanPrompt() {
		t.Fatal("CanPrompt with both TTYs = false")
	}
	if ios.TerminalWidth() != DefaultWidth {
		t.Fatalf("TerminalWidth = %d", ios.TerminalWidth())
	}
	ios.SetTerminalWidth(132)
	if ios.TerminalWidth() != 132 {
		t.Fatalf("TerminalWidth override = %d", ios.TerminalWidth())
	}
	_, _ = ios.Out.Write([]byte("hi"))
	if out.String() != "hi" {
		t.Fatalf("out = %q", out.String())
	}
}

func TestSystemDetectsPipes(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ios := &IOStreams{In: r, Out: w, ErrOut: w, getenv: func(k string) string {
		if k == "COLUMNS" {
			return "99"
		}
		return ""
	}}
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.ColorEnabled() {
		t.Fatal("a pipe is not a terminal")
	}
	if got := ios.TerminalWidth(); got != 99 {
		t.Fatalf("TerminalWidth from COLUMNS = %d", got)
	}
}
