package output

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/iostreams"
)

func TestWriteJSON(t *testing.T) {
	type out struct {
		Zebra string         `json:"zebra"`
		Apple int            `json:"apple"`
		Map   map[string]int `json:"map"`
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, out{Zebra: "<&>", Apple: 1, Map: map[string]int{"b": 2, "a": 1}}); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"zebra\": \"<&>\",\n  \"apple\": 1,\n  \"map\": {\n    \"a\": 1,\n    \"b\": 2\n  }\n}\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}

	buf.Reset()
	if err := WriteRawJSON(&buf, []byte(`{"b":[1,2],"a":null}`)); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": null\n}\n" {
		t.Errorf("WriteRawJSON: %q", buf.String())
	}
}

func TestJQ(t *testing.T) {
	value := map[string]any{
		"records": []map[string]any{{"Name": "Acme", "N": 1}, {"Name": "Beta", "N": 2}},
		"big":     json.RawMessage("12345678901234567890"),
	}
	tests := []struct {
		expr, want string
	}{
		{`.records[].Name`, "Acme\nBeta\n"},
		{`.records | length`, "2\n"},
		{`.records[0]`, "{\n  \"N\": 1,\n  \"Name\": \"Acme\"\n}\n"},
		{`[.records[].N]`, "[\n  1,\n  2\n]\n"},
		{`.big`, "12345678901234567890\n"},
		{`.missing`, "null\n"},
		{`empty`, ""},
		{`.records[].Name, halt`, "Acme\nBeta\n"},
		{`$ENV | length`, "0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			q, err := CompileJQ(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := q.Run(context.Background(), &buf, value); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("got %q, want %q", buf.String(), tt.want)
			}
		})
	}
}

func TestJQErrors(t *testing.T) {
	for _, expr := range []string{`.[`, `foo(`, `undefined_function`} {
		if _, err := CompileJQ(expr); err == nil || !strings.Contains(err.Error(), "invalid jq expression") {
			t.Errorf("CompileJQ(%q) err = %v", expr, err)
		}
	}
	q, err := CompileJQ(`.a + 1`)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.RunJSON(context.Background(), &bytes.Buffer{}, []byte(`{"a":"x"}`)); err == nil {
		t.Error("adding a string and a number succeeded")
	}
}

func TestTable(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	tbl := NewTable(ios, "NAME", "LABEL", "CUSTOM")
	tbl.AddRow("Account", "Account", "false")
	tbl.AddRow("Invoice__c", "Invoice\tline", "true")
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	want := "NAME        LABEL         CUSTOM\nAccount     Account       false\nInvoice__c  Invoice line  true\n"
	if out.String() != want {
		t.Errorf("tty got\n%q\nwant\n%q", out.String(), want)
	}

	ios, _, out, _ = iostreams.Test()
	tbl = NewTable(ios, "NAME", "LABEL")
	tbl.AddRow("Account", "Account")
	tbl.AddRow("X", "a\tb")
	if err := tbl.Render(); err != nil {
		t.Fatal(err)
	}
	// Off a terminal: CSV with the header, like every command.
	if out.String() != "NAME,LABEL\nAccount,Account\nX,a\tb\n" {
		t.Errorf("piped got %q", out.String())
	}
}

func TestTableColorOnlyWhenEnabled(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetColorEnabled(true)
	tbl := NewTable(ios, "A")
	tbl.AddRow("x")
	_ = tbl.Render()
	if !strings.Contains(out.String(), "\x1b[1mA\x1b[0m") {
		t.Errorf("no bold header with colour: %q", out.String())
	}
	ios.SetColorEnabled(false)
	out.Reset()
	_ = tbl.Render()
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("escape codes without colour: %q", out.String())
	}
}

func TestWriteKeyValues(t *testing.T) {
	pairs := []KeyValue{{"Id", "001"}, {"Name", "Acme"}, {"Description", "two\nlines"}}
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	if err := WriteKeyValues(ios, pairs); err != nil {
		t.Fatal(err)
	}
	if want := "Id           001\nName         Acme\nDescription  two\nlines\n"; out.String() != want {
		t.Errorf("tty got %q, want %q", out.String(), want)
	}
	ios, _, out, _ = iostreams.Test()
	if err := WriteKeyValues(ios, pairs); err != nil {
		t.Fatal(err)
	}
	// Off a terminal: one CSV row under a header of the keys.
	if want := "Id,Name,Description\n001,Acme,\"two\nlines\"\n"; out.String() != want {
		t.Errorf("piped got %q, want %q", out.String(), want)
	}
}

func TestDisplayWidth(t *testing.T) {
	tests := []struct {
		s     string
		w     int
		trunc string
	}{
		{"abc", 3, "abc"},
		{"日本語", 6, "日…"},
		{"é", 1, "é"},
		{"e\u0301x", 2, "e\u0301x"},
		{"🚀ok", 4, "🚀…"},
	}
	for _, tt := range tests {
		if got := displayWidth(tt.s); got != tt.w {
			t.Errorf("displayWidth(%q) = %d, want %d", tt.s, got, tt.w)
		}
		if got := truncate(tt.s, 3); got != tt.trunc {
			t.Errorf("truncate(%q, 3) = %q, want %q", tt.s, got, tt.trunc)
		}
	}
}

func TestGate(t *testing.T) {
	var out strings.Builder
	g := NewGate(&out)
	io.WriteString(g, "[\n")
	if out.Len() != 0 || g.Opened() {
		t.Fatalf("closed gate let %q through", out.String())
	}
	g.Discard()
	io.WriteString(g, "a")
	if err := g.Open(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(g, "b")
	if out.String() != "ab" || !g.Opened() {
		t.Fatalf("got %q", out.String())
	}
}
