// Package docs generates sfmcp's documentation from the code that it
// documents: man pages and shell completions from the cobra command tree, and
// the README's tool catalogue from the operations' MCP tool definitions.
// cmd/gen-docs writes them into the repository (make docs); the tests here
// regenerate them and fail when the committed copies have drifted.
package docs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"

	"github.com/sfmcp/sfmcp/internal/build"
	"github.com/sfmcp/sfmcp/internal/cmd/root"
	"github.com/sfmcp/sfmcp/internal/cmdutil"
	"github.com/sfmcp/sfmcp/internal/iostreams"
)

// ManDir and CompletionsDir are where the generated files live, relative to
// the repository root.
const (
	ManDir         = "man"
	CompletionsDir = "completions"
)

// Completions maps each file under completions/ to the shell it is for. The
// names are the ones each shell looks for when the file is installed in its
// completion directory (zsh wants _sfmcp).
// A new map each call: callers cannot change what gen-docs writes.
func Completions() map[string]string {
	return map[string]string{
		"sfmcp.bash": "bash",
		"_sfmcp":     "zsh",
		"sfmcp.fish": "fish",
		"sfmcp.ps1":  "powershell",
	}
}

// manDate is the date on every man page unless SOURCE_DATE_EPOCH says
// otherwise. It is a constant so that generating the pages twice, on any
// day, gives the same bytes: the committed pages are checked by a drift test
// and the release archives must be reproducible.
var manDate = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// ManDate is the date written into the man pages: SOURCE_DATE_EPOCH (the
// reproducible-builds convention) when set, else manDate.
func ManDate() (time.Time, error) {
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		return manDate, nil
	}
	secs, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid SOURCE_DATE_EPOCH %q: %w", epoch, err)
	}
	return time.Unix(secs, 0).UTC(), nil
}

// Tree builds the real sfmcp command tree with a factory that touches
// nothing: its dependencies are lazy and no command runs, so no config file,
// keyring or network is reached. Whatever a command writes goes to out.
func Tree() (cmd *cobra.Command, out *bytes.Buffer) {
	globals := root.NewGlobalFlags()
	// The version appears nowhere in the pages (the root's --version flag is
	// added only when a command executes), but keep it fixed all the same.
	info := build.Info{Version: "dev"}
	f := cmdutil.NewFactory(info.Version, globals)
	f.Executable = "sfmcp" // not this process's path
	ios, _, out, _ := iostreams.Test()
	f.IOStreams = ios
	return root.NewCmdRoot(f, globals, info), out
}

// UnsetEnv removes from the process environment the variables that would
// change the generated text: sfmcp's own SFMCP_* variables, some of which
// are flag defaults (serve --allowed-instance-hosts), so that the files are
// the same whoever generates them. SOURCE_DATE_EPOCH is left alone: it is
// how a packager asks for another date. It returns the names it removed.
func UnsetEnv() []string {
	var removed []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SFMCP_") {
			os.Unsetenv(name)
			removed = append(removed, name)
		}
	}
	return removed
}

// Generate writes the man pages to dir/man and the completion scripts to
// dir/completions, creating both folders and removing files in them that
// are no longer generated (a removed command loses its page).
func Generate(dir string) error {
	if err := generateMan(filepath.Join(dir, ManDir)); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	if err := generateCompletions(filepath.Join(dir, CompletionsDir)); err != nil {
		return fmt.Errorf("completions: %w", err)
	}
	return nil
}

func generateMan(dir string) error {
	date, err := ManDate()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sfmcp-man-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	cmd, _ := Tree()
	prepareForMan(cmd)
	header := &doc.GenManHeader{Section: "1", Date: &date, Source: "sfmcp", Manual: "sfmcp manual"}
	if err := doc.GenManTree(cmd, header, tmp); err != nil {
		return err
	}
	return replaceDir(tmp, dir)
}

// prepareForMan adjusts a tree that exists only to be rendered: cobra/doc
// passes help text through Markdown (go-md2man), which would take
// "<soql>" or "Bearer <token>" for HTML tags and drop them, so angle
// brackets are escaped; and the "Auto generated" footer, which repeats the
// date, is turned off.
func prepareForMan(cmd *cobra.Command) {
	cmd.DisableAutoGenTag = true
	if name, rest, ok := strings.Cut(cmd.Use, " "); ok {
		cmd.Use = name + " " + escapeMarkdown(rest)
	}
	cmd.Short = escapeMarkdown(cmd.Short)
	cmd.Long = escapeMarkdown(cmd.Long)
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) { f.Usage = escapeMarkdown(f.Usage) })
	for _, c := range cmd.Commands() {
		prepareForMan(c)
	}
}

var markdownEscaper = strings.NewReplacer(`<`, `\<`, `>`, `\>`)

func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// generateCompletions runs `sfmcp completion SHELL` on the real tree for each
// shell, so the files are exactly what users get from the command.
func generateCompletions(dir string) error {
	files := map[string][]byte{}
	for name, shell := range Completions() {
		cmd, out := Tree()
		cmd.SetArgs([]string{"completion", shell})
		if err := cmd.Execute(); err != nil {
			return fmt.Errorf("sfmcp completion %s: %w", shell, err)
		}
		if out.Len() == 0 {
			return fmt.Errorf("sfmcp completion %s wrote nothing", shell)
		}
		files[name] = out.Bytes()
	}
	tmp, err := os.MkdirTemp("", "sfmcp-completions-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return err
		}
	}
	return replaceDir(tmp, dir)
}

// replaceDir makes dst hold exactly the files of src: new and changed files
// are written, files src lacks are removed. Subdirectories are not expected.
func replaceDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	want, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, e := range want {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			return err
		}
		keep[e.Name()] = true
	}
	have, err := os.ReadDir(dst)
	if err != nil {
		return err
	}
	for _, e := range have {
		if !keep[e.Name()] && !e.IsDir() {
			if err := os.Remove(filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Diff compares the files of two directories and describes every
// difference, one per line; "" means identical. Only file names and bytes
// count.
func Diff(want, got string) (string, error) {
	read := func(dir string) (map[string][]byte, error) {
		files := map[string][]byte{}
		entries, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			files[e.Name()] = data
		}
		return files, nil
	}
	w, err := read(want)
	if err != nil {
		return "", err
	}
	g, err := read(got)
	if err != nil {
		return "", err
	}
	var names []string
	for n := range w {
		names = append(names, n)
	}
	for n := range g {
		if _, ok := w[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		wd, inW := w[n]
		gd, inG := g[n]
		switch {
		case !inG:
			fmt.Fprintf(&b, "%s: missing from %s\n", n, got)
		case !inW:
			fmt.Fprintf(&b, "%s: in %s but no longer generated\n", n, got)
		case !bytes.Equal(wd, gd):
			fmt.Fprintf(&b, "%s: differs%s\n", n, firstDifference(wd, gd))
		}
	}
	return b.String(), nil
}

// firstDifference names the first line where want and got differ.
func firstDifference(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf(" at line %d: generated %q, committed %q", i+1, w, g)
		}
	}
	return ""
}
