package iostreams

import (
	"strings"
	"testing"
	"time"
)

func TestProgressOffWhenNotATerminal(t *testing.T) {
	ios, _, _, errOut := Test()
	p := ios.NewProgress(false)
	if p != nil {
		t.Fatal("a progress line on a pipe")
	}
	p.SetStage("Uploading", "bytes", 10) // a nil Progress ignores calls
	p.Set(5, "")
	p.Stop()
	if errOut.Len() != 0 {
		t.Errorf("wrote %q", errOut.String())
	}
	ios.SetStderrTTY(true)
	if ios.NewProgress(true) != nil {
		t.Error("a progress line with --quiet")
	}
}

func TestProgressLine(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.SetStderrTTY(true)
	ios.SetTerminalWidth(100)
	p := ios.NewProgress(false)
	start := p.start
	p.now = func() time.Time { return start.Add(3 * time.Second) }
	p.SetStage("Uploading", "bytes", 4<<20)
	p.Set(1<<20, "")
	line := p.Line()
	for _, want := range []string{"Uploading [==========", "1.0 MB / 4.0 MB", "3s"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
	p.SetStage("Processing", "records", 0)
	p.Set(1500, "2 failed")
	if line := p.Line(); !strings.Contains(line, "Processing 1500 records, 2 failed  3s") {
		t.Errorf("%q", line)
	}
	time.Sleep(2 * progressInterval)
	p.Stop()
	p.Stop()
	if out := errOut.String(); !strings.Contains(out, "\r\x1b[2KProcessing") || !strings.HasSuffix(out, "\r\x1b[2K") {
		t.Errorf("stderr %q", out)
	}
}
