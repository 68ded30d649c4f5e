package ops

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestJSONLinesToCSV(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     string
		errLine  int
		noRows   bool
	}{
		{name: "flat", in: `{"Name":"Acme","NumberOfEmployees":12}` + "\n" + `{"Name":"Globex","Active":true}`,
			want: "Name,NumberOfEmployees,Active\nAcme,12,\nGlobex,,true\n"},
		{name: "Id first", in: `{"Name":"a","Id":"001000000000001AAA"}`, want: "Id,Name\n001000000000001AAA,a\n"},
		{name: "null and nested lookup", in: `{"LastName":"Ng","Email":null,"Account":{"External_Id__c":"A-1"}}`,
			want: "Account.External_Id__c,Email,LastName\nA-1,#N/A,Ng\n"},
		{name: "quoting", in: `{"Name":"a, \"b\"\nc"}`, want: "Name\n\"a, \"\"b\"\"\nc\"\n"},
		{name: "big numbers keep their digits", in: `{"Amount":12345678901234567890.5}`, want: "Amount\n12345678901234567890.5\n"},
		{name: "attributes dropped, blank lines skipped", in: "\n" + `{"attributes":{"type":"Account"},"Name":"x"}` + "\n\n", want: "Name\nx\n"},
		{name: "BOM and CRLF", in: "\xef\xbb\xbf{\"Name\":\"x\"}\r\n{\"Name\":\"ü\"}\r\n", want: "Name\nx\nü\n"},
		{name: "not JSON", in: `{"Name":"x"}` + "\n" + `{"Name":`, errLine: 2},
		{name: "not an object", in: `["x"]`, errLine: 1},
		{name: "a list value", in: `{"Name":"x"}` + "\n" + `{"Tags":["a"]}`, errLine: 2},
		{name: "empty", in: "\n\n", noRows: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			header, rows, err := ScanJSONRows(JSONLines(strings.NewReader(tt.in)))
			var ce *CSVError
			switch {
			case tt.noRows:
				if !errors.Is(err, ErrNoRows) {
					t.Fatalf("err %v", err)
				}
				return
			case tt.errLine > 0:
				if !errors.As(err, &ce) || ce.Line != tt.errLine {
					t.Fatalf("err %v; want line %d", err, tt.errLine)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			b, err := io.ReadAll(iotestOneByte(JSONToCSV(JSONLines(strings.NewReader(tt.in)), header)))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b, tt.want)
			}
			sum, err := ScanCSV(strings.NewReader(string(b)))
			if err != nil || sum.Rows != rows {
				t.Errorf("the CSV does not scan back: %d rows (want %d), %v", sum.Rows, rows, err)
			}
		})
	}
}
