// Command gen-docs writes sfmcp's generated documentation into the
// repository: man pages (man/), shell completion scripts (completions/), the
// tool catalogue in README.md and the Homebrew cask's list of man pages in
// goreleaser.yaml, all from the code they describe. Run it
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
	if err := rewrite(filepath.Join(dir, "README.md"), docs.UpdateREADME); err != nil {
		return err
	}
	pages, err := docs.ManPages(filepath.Join(dir, docs.ManDir))
	if err != nil {
		return err
	}
	return rewrite(filepath.Join(dir, "goreleaser.yaml"), func(b []byte) ([]byte, error) {
		return docs.UpdateManpageList(b, pages)
	})
}

// rewrite applies update to the file at path and writes it back if it changed.
func rewrite(path string, update func([]byte) ([]byte, error)) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	updated, err := update(old)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	return os.WriteFile(path, updated, 0o644)
}
