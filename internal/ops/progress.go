package ops

import "context"

// Progress receives how far a long operation has come: done units of total
// (total 0: not known yet) and a short message for people. Fronts decide
// what to do with it (the MCP server turns it into progress notifications
// when the client asked for them); an operation only reports.
type Progress func(done, total float64, message string)

type progressKey struct{}

// WithProgress returns ctx carrying p for the operations it is passed to.
// A Progress ctx already carries is told too (after p): one front may watch
// a call that another also reports to (an MCP task's status and the
// client's progress notifications).
func WithProgress(ctx context.Context, p Progress) context.Context {
	if p == nil {
		return ctx
	}
	if prev, _ := ctx.Value(progressKey{}).(Progress); prev != nil {
		next := p
		p = func(done, total float64, message string) {
			next(done, total, message)
			prev(done, total, message)
		}
	}
	return context.WithValue(ctx, progressKey{}, p)
}

// reportProgress tells ctx's Progress, if any, how far the operation is.
func reportProgress(ctx context.Context, done, total float64, message string) {
	if p, _ := ctx.Value(progressKey{}).(Progress); p != nil {
		p(done, total, message)
	}
}
