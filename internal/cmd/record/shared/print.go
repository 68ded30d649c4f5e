package shared

import (
	"context"
	"fmt"

	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// PrintSaved reports a write: the value as JSON with --json/--jq; on a
// terminal a sentence ("✓ Created Account 001..."); piped, the id and, for
// upserts, "created" or "updated" after a tab.
func PrintSaved(ctx context.Context, ios *iostreams.IOStreams, exp *cmdutil.Exporter, v any, verb, sobject, id, outcome string) error {
	if exp.Enabled() {
		return exp.Write(ctx, ios, v)
	}
	if ios.IsStdoutTTY() {
		_, err := fmt.Fprintf(ios.Out, "%s %s %s %s\n", ios.ColorScheme().Green("✓"), verb, sobject, id)
		return err
	}
	if outcome != "" {
		_, err := fmt.Fprintf(ios.Out, "%s\t%s\n", id, outcome)
		return err
	}
	_, err := fmt.Fprintln(ios.Out, id)
	return err
}
