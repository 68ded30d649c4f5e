package docs

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
)

// The Homebrew cask's list of man pages in goreleaser.yaml sits between two
// comment lines; gen-docs rewrites it so every page in man/ is installed
// (Homebrew's manpage stanza takes one file each, no patterns).
const (
	ManpagesBegin = "# BEGIN MANPAGES: generated from man/ by `make docs`; do not edit"
	ManpagesEnd   = "# END MANPAGES"
)

// ManPages lists the files of a man directory, sorted, as paths relative to
// the repository root ("man/sfmcp.1").
func ManPages(manDir string) ([]string, error) {
	entries, err := os.ReadDir(manDir)
	if err != nil {
		return nil, err
	}
	var pages []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".1") {
			pages = append(pages, ManDir+"/"+e.Name())
		}
	}
	slices.Sort(pages)
	return pages, nil
}

// UpdateManpageList returns goreleaser.yaml with the YAML list between
// ManpagesBegin and ManpagesEnd replaced by pages, indented like the markers.
func UpdateManpageList(config []byte, pages []string) ([]byte, error) {
	start := bytes.Index(config, []byte(ManpagesBegin))
	if start < 0 {
		return nil, fmt.Errorf("no %q line", ManpagesBegin)
	}
	lineStart := bytes.LastIndexByte(config[:start], '\n') + 1
	indent := string(config[lineStart:start])
	if strings.TrimSpace(indent) != "" {
		return nil, fmt.Errorf("%q must start its line", ManpagesBegin)
	}
	bodyStart := start + len(ManpagesBegin) + 1 // past the newline
	end := bytes.Index(config[start:], []byte(ManpagesEnd))
	if end < 0 {
		return nil, fmt.Errorf("no %q line after %q", ManpagesEnd, ManpagesBegin)
	}
	end += start
	endLineStart := bytes.LastIndexByte(config[:end], '\n') + 1
	var b bytes.Buffer
	b.Write(config[:bodyStart])
	for _, p := range pages {
		b.WriteString(indent + "- " + p + "\n")
	}
	b.Write(config[endLineStart:])
	return b.Bytes(), nil
}
