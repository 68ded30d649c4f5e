// Command gen-docs writes sfmcp's generated documentation into the
// repository: man pages (man/), shell completion scripts (completions/) and
// the tool catalogue in README.md, all from the code they describe. Run it
// from the repository root with `make docs` (goreleaser runs it before every
// release); internal/docs's tests fail when the committed files drift.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sfmcp/sfmcp/internal/docs"
)

func main() {
	dir := flag.String("dir", ".", "repository root to write man/, completions/ and README.md in")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen-docs:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if removed := docs.UnsetEnv(); len(removed) > 0 {
		fmt.Fprintf(os.Stderr, "gen-docs: ignoring %v so the output does not depend on this environment\n", removed)
	}
	if err := docs.Generate(dir); err != nil {
		return err
	}
	readme := filepath.Join(dir, "README.md")
	old, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	updated, err := docs.UpdateREADME(old)
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	if !bytes.Equal(old, updated) {
		return os.WriteFile(readme, updated, 0o644)
	}
	return nil
}
