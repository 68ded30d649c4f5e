package ops

import (
	"encoding/json"
	"testing"
)

func TestTableOf(t *testing.T) {
	tab := TableOf([]json.RawMessage{
		json.RawMessage(`{"Id":"1","Name":"A, \"B\"","Owner":{"Name":"O","Manager":{"Name":"M"}},"N":2.50,"X":null,"Cases":{"totalSize":1,"done":true,"records":[{"S":"s"}]}}`),
		json.RawMessage(`{"Id":"2","Name":"C","Owner":null,"Extra":true}`),
		json.RawMessage(`{ "Id" : "3" , "N" : -1e3 }`),
	})
	got, _ := json.Marshal(tab)
	want := `{"columns":["Id","Name","Owner.Name","Owner.Manager.Name","N","X","Cases","Owner","Extra"],"rows":[` +
		`["1","A, \"B\"","O","M",2.50,null,{"totalSize":1,"done":true,"records":[{"S":"s"}]},null,null],` +
		`["2","C",null,null,null,null,null,null,true],` +
		`["3",null,null,null,-1e3,null,null,null,null]]}`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, tc := range []struct{ cell, text string }{
		{`"a\"b\n"`, "a\"b\n"}, {`null`, ""}, {``, ""}, {`2.50`, "2.50"}, {`true`, "true"},
		{`{ "records" : [ 1 ] }`, `{"records":[1]}`}, {`"\u00e9"`, "é"},
	} {
		if got := Cell(tc.cell).Text(); got != tc.text {
			t.Errorf("Cell(%s).Text() = %q; want %q", tc.cell, got, tc.text)
		}
	}
	// No records: empty lists, not null, so the result says there are none.
	if got, _ := json.Marshal(TableOf(nil)); string(got) != `{"columns":[],"rows":[]}` {
		t.Errorf("no records: %s", got)
	}
}

func TestCheckRecordFormat(t *testing.T) {
	for f, ok := range map[string]bool{"": true, "rows": true, "objects": true, "Objects": false, "csv": false} {
		if err := checkRecordFormat(f); (err == nil) != ok {
			t.Errorf("%q: %v", f, err)
		}
	}
}
