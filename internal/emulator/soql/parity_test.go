package soql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
)

// corpusEntry is one query of testdata/soql_corpus.json with what the SOQL
// and SOSL reference says about it.
type corpusEntry struct {
	Q      string `json:"q"`
	SOSL   bool   `json:"sosl,omitempty"`
	Syntax bool   `json:"syntax"`         // the reference's grammar accepts it
	Valid  bool   `json:"valid"`          // Salesforce runs it against the emulator's sample schema
	Code   string `json:"code,omitempty"` // the error code when it does not
	Ref    string `json:"ref"`            // the reference section it comes from
	// Parity explains, where the independent parser disagrees with the
	// emulator about the syntax, why the emulator is right.
	Parity string `json:"parity,omitempty"`
}

func loadCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "soql_corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusEntry
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("soql_corpus.json: %v", err)
	}
	return out
}

// emulatorSyntax reports whether the emulator's parser accepts q, before any
// name is resolved against the schema. For SOSL, whose parse and checks are
// one pass, a MALFORMED_SEARCH or MALFORMED_QUERY answer is a syntax error
// and any other answer is about names.
func emulatorSyntax(e corpusEntry, sch *schema.Schema) error {
	if e.SOSL {
		_, err := CompileSearch(e.Q, sch)
		var se *Error
		if errors.As(err, &se) && (se.Code == CodeMalformedSearch || se.Code == CodeMalformed) {
			return err
		}
		return nil
	}
	toks, lerr := lex(e.Q)
	if lerr != nil && lerr.Code == CodeMalformed {
		return lerr
	}
	if lerr != nil {
		return nil
	}
	p := &parser{text: e.Q, toks: toks}
	_, perr := p.parseQuery()
	if perr == nil {
		if t := p.peek(); t.kind != tEOF {
			perr = p.unexpected(t)
		}
	}
	if perr != nil && perr.Code == CodeMalformed {
		return perr
	}
	return nil
}

type parityResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// independentParse runs the corpus through parity/check.mjs (the Apex
// grammar of @apexdevtools/apex-parser, pinned in parity/package-lock.json).
func independentParse(t *testing.T, corpus []corpusEntry) []parityResult {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: run .ci/test-deps.sh (CI never skips the SOQL parity test)", what)
		}
		t.Skipf("%s: run .ci/test-deps.sh to compare with an independent parser", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	if _, err := os.Stat(filepath.Join("parity", "node_modules", "@apexdevtools", "apex-parser", "package.json")); err != nil {
		missing("parity/node_modules lacks @apexdevtools/apex-parser")
	}
	type in struct {
		Q    string `json:"q"`
		SOSL bool   `json:"sosl"`
	}
	ins := make([]in, len(corpus))
	for i, e := range corpus {
		ins[i] = in{e.Q, e.SOSL}
	}
	body, _ := json.Marshal(ins)
	cmd := exec.Command(node, "check.mjs")
	cmd.Dir = "parity"
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node check.mjs: %v\n%s", err, stderr.String())
	}
	var res []parityResult
	if err := json.Unmarshal(out, &res); err != nil || len(res) != len(corpus) {
		t.Fatalf("node check.mjs answered %d results for %d queries (%v)", len(res), len(corpus), err)
	}
	return res
}

// TestSOQLParity checks the emulator against the corpus of queries from the
// SOQL and SOSL reference (testdata/soql_corpus.json) and against an
// independent parser. Every query's syntax verdict and its full verdict
// (names checked against the sample schema, with the error code) must be the
// reference's; the independent parser must agree with the emulator on the
// syntax of at least 98% of them, and each query where it does not must say
// in "parity" why the emulator is right. Set SOQL_PARITY_TABLE to a file to
// get the table published in TESTING.md.
func TestSOQLParity(t *testing.T) {
	corpus := loadCorpus(t)
	if len(corpus) < 300 {
		t.Fatalf("the corpus has %d queries; it must have at least 300", len(corpus))
	}
	sch, err := schema.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	emuSyntax := make([]bool, len(corpus))
	var soql, sosl, validN, synBad int
	for i, e := range corpus {
		if seen[e.Q] {
			t.Errorf("entry %d repeats %q", i, e.Q)
		}
		seen[e.Q] = true
		if e.SOSL {
			sosl++
		} else {
			soql++
		}
		if !e.Syntax {
			synBad++
		} else if e.Valid {
			validN++
		}
		if !e.Syntax && e.Valid {
			t.Errorf("entry %d is valid with bad syntax: %q", i, e.Q)
		}
		serr := emulatorSyntax(e, sch)
		emuSyntax[i] = serr == nil
		if emuSyntax[i] != e.Syntax {
			t.Errorf("syntax of %q: emulator says %v (%v); the reference says %v", e.Q, emuSyntax[i], serr, e.Syntax)
		}
		if e.SOSL {
			_, err = CompileSearch(e.Q, sch)
		} else {
			_, err = Compile(e.Q, sch)
		}
		var qe *Error
		switch {
		case e.Valid && err != nil:
			t.Errorf("%q: refused (%v); the reference accepts it", e.Q, err)
		case !e.Valid && err == nil:
			t.Errorf("%q: accepted; the reference refuses it with %s", e.Q, e.Code)
		case !e.Valid && e.Code != "" && (!errors.As(err, &qe) || qe.Code != e.Code):
			t.Errorf("%q: %v; want %s", e.Q, err, e.Code)
		}
	}

	res := independentParse(t, corpus)
	agree := 0
	var diffs []string
	for i, e := range corpus {
		if res[i].OK == emuSyntax[i] {
			agree++
			if e.Parity != "" {
				t.Errorf("%q: the parsers agree now; drop its parity note", e.Q)
			}
			continue
		}
		if e.Parity == "" {
			t.Errorf("%q: apex-parser says %v (%s), the emulator %v, and the corpus gives no reason", e.Q, res[i].OK, res[i].Error, emuSyntax[i])
		}
		diffs = append(diffs, fmt.Sprintf("| `%s` | %s | %s |", strings.ReplaceAll(e.Q, "|", `\|`), verdict(emuSyntax[i]), e.Parity))
	}
	pct := 100 * float64(agree) / float64(len(corpus))
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "| Queries | SOQL | SOSL | valid | semantically refused | syntax errors | syntax agreement with apex-parser 5.2.0 |\n")
	fmt.Fprintf(&tbl, "|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&tbl, "| %d | %d | %d | %d | %d | %d | %d/%d = %.1f%% |\n\n", len(corpus), soql, sosl, validN, len(corpus)-validN-synBad, synBad, agree, len(corpus), pct)
	if len(diffs) > 0 {
		tbl.WriteString("| Query | Emulator (= the reference) | Why the emulator is right |\n|---|---|---|\n")
		tbl.WriteString(strings.Join(diffs, "\n") + "\n")
	}
	t.Logf("SOQL parity:\n%s", tbl.String())
	if path := os.Getenv("SOQL_PARITY_TABLE"); path != "" {
		if err := os.WriteFile(path, []byte(tbl.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if pct < 98 {
		t.Errorf("syntax agreement %.1f%% is below 98%%", pct)
	}
}

func verdict(ok bool) string {
	if ok {
		return "accepts"
	}
	return "refuses"
}
