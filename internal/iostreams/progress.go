package iostreams

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// Progress draws one status line on stderr, redrawn in place a few times a
// second: a bar when the total is known, and the elapsed time. It draws only
// when stderr is a terminal; otherwise (and for a nil *Progress) every
// method does nothing, so callers need no checks.
type Progress struct {
	w     io.Writer
	width int
	start time.Time
	now   func() time.Time

	mu      sync.Mutex
	label   string
	done    int64
	total   int64
	unit    string // "bytes" or a noun like "records"
	extra   string
	drawn   bool
	stopped bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// progressInterval is how often the line is redrawn.
const progressInterval = 150 * time.Millisecond

// NewProgress starts a progress line on stderr, or returns nil (which
// ignores every call) when stderr is not a terminal or quiet is set.
func (s *IOStreams) NewProgress(quiet bool) *Progress {
	if quiet || !s.IsStderrTTY() {
		return nil
	}
	w := s.width
	if w <= 0 {
		w = DefaultWidth
		if f, ok := s.ErrOut.(fder); ok {
			if tw, err := termWidth(f); err == nil && tw > 0 {
				w = tw
			}
		}
	}
	p := &Progress{w: s.ErrOut, width: w, start: time.Now(), now: time.Now, stop: make(chan struct{})}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *Progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(progressInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// SetStage names what is happening ("Uploading", "Processing") and what is
// counted: unit "bytes" shows sizes, anything else counts; total 0 means
// unknown.
func (p *Progress) SetStage(label, unit string, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.label, p.unit, p.total, p.done, p.extra = label, unit, total, 0, ""
	p.mu.Unlock()
}

// Set updates the count and an optional note shown after it ("3 failed").
func (p *Progress) Set(done int64, note string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done, p.extra = done, note
	p.mu.Unlock()
}

// Stop clears the line and stops redrawing; call it before printing
// anything else to stderr. It may be called more than once.
func (p *Progress) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	close(p.stop)
	p.mu.Unlock()
	p.wg.Wait()
	p.mu.Lock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
	}
	p.mu.Unlock()
}

// Line renders the status line for a width (exported for tests).
func (p *Progress) Line() string {
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.line()
}

func (p *Progress) draw() {
	if p.stopped || p.label == "" {
		return
	}
	fmt.Fprint(p.w, "\r\x1b[2K"+p.line())
	p.drawn = true
}

func (p *Progress) line() string {
	elapsed := p.now().Sub(p.start).Truncate(time.Second)
	count := p.amount(p.done)
	if p.total > 0 {
		count += " / " + p.amount(p.total)
	}
	right := count
	if p.extra != "" {
		right += ", " + p.extra
	}
	right += "  " + elapsed.String()
	left := p.label + " "
	barWidth := p.width - len(left) - len(right) - 4
	if p.total <= 0 || barWidth < 10 {
		return truncate(left+right, p.width-1)
	}
	barWidth = min(barWidth, 40)
	frac := float64(p.done) / float64(p.total)
	frac = max(0, min(1, frac))
	filled := int(frac * float64(barWidth))
	bar := "[" + strings.Repeat("=", filled) + strings.Repeat(" ", barWidth-filled) + "] "
	return truncate(left+bar+right, p.width-1)
}

func (p *Progress) amount(n int64) string {
	if p.unit == "bytes" {
		return formatBytes(n)
	}
	return fmt.Sprintf("%d %s", n, p.unit)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func truncate(s string, w int) string {
	if w <= 0 || len(s) <= w {
		return s
	}
	return s[:w]
}

func termWidth(f fder) (int, error) {
	w, _, err := term.GetSize(int(f.Fd()))
	return w, err
}
