package emulator

import (
	"net/http/httptest"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator/soql"
)

// TestWriteQueryPageMatchesWriteJSON: the hand-built page body is byte for
// byte what encoding/json made of the same page.
func TestWriteQueryPageMatchesWriteJSON(t *testing.T) {
	attrs := soql.NewRow().Set("type", "Account").Set("url", "/services/data/v62.0/sobjects/Account/001")
	rows := []*soql.Row{
		soql.NewRow().Set("attributes", attrs).Set("Name", `<b>"R&D" \ café`+"\n").Set("N", int64(3)).Set("F", 2.5).Set("X", nil).Set("B", true),
		soql.NewRow().Set("attributes", attrs).Set("Owner", soql.NewRow().Set("Name", "Ünïcode ✓")).Set("Kids", nil),
	}
	for _, out := range []queryResponse{
		{TotalSize: 5, Done: false, NextRecordsURL: "/services/data/v62.0/query/01gABC-2", Records: rows},
		{TotalSize: 2, Done: true, Records: rows},
		{TotalSize: 0, Done: true, Records: []*soql.Row{}},
	} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writeJSON(want, 200, out)
		writeQueryPage(got, out)
		if got.Body.String() != want.Body.String() || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") || got.Code != want.Code {
			t.Errorf("page body\n got  %q\n want %q", got.Body.String(), want.Body.String())
		}
	}
}
