package ops

import (
	"context"
	"slices"
	"testing"
)

// TestWithProgressChains: a Progress added to a context that carries one
// tells both, the newer first; nil adds nothing.
func TestWithProgressChains(t *testing.T) {
	var got []string
	rec := func(name string) Progress {
		return func(done, total float64, message string) { got = append(got, name+":"+message) }
	}
	ctx := WithProgress(context.Background(), rec("outer"))
	ctx = WithProgress(ctx, nil)
	ctx = WithProgress(ctx, rec("inner"))
	reportProgress(ctx, 1, 2, "half")
	if want := []string{"inner:half", "outer:half"}; !slices.Equal(got, want) {
		t.Errorf("reports %v; want %v", got, want)
	}
	got = nil
	reportProgress(context.Background(), 1, 2, "none")
	if len(got) != 0 {
		t.Errorf("a context without Progress reported %v", got)
	}
}
