package output

import (
	"bytes"
	"io"
)

// Gate holds back what is written through it until Open. A command that
// streams results writes them through a Gate and opens it once the first page
// has arrived whole; if the command fails before that, it discards the Gate,
// so a failed command leaves stdout empty instead of printing "[]" or a bare
// CSV header ahead of its error. What is held is at most one page of output.
type Gate struct {
	w    io.Writer
	held bytes.Buffer
	open bool
}

// NewGate returns a closed gate in front of w.
func NewGate(w io.Writer) *Gate { return &Gate{w: w} }

// Write holds p while the gate is closed and passes it on once it is open.
func (g *Gate) Write(p []byte) (int, error) {
	if g.open {
		return g.w.Write(p)
	}
	return g.held.Write(p)
}

// Open writes what was held and lets later writes through. Opening an open
// gate does nothing.
func (g *Gate) Open() error {
	if g.open {
		return nil
	}
	g.open = true
	_, err := g.w.Write(g.held.Bytes())
	g.held = bytes.Buffer{}
	return err
}

// Opened reports whether anything may have reached the writer behind the gate.
func (g *Gate) Opened() bool { return g.open }

// Discard drops what was held; the gate stays closed.
func (g *Gate) Discard() { g.held = bytes.Buffer{} }
