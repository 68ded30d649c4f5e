package mcpserver

import (
	"reflect"
	"testing"
)

func TestProgressSender(t *testing.T) {
	type report struct {
		done, total float64
		msg         string
	}
	tests := []struct {
		name    string
		reports []report
		want    []map[string]any
	}{
		{"total and message", []report{{0, 10, "uploaded"}, {4, 10, "4 of 10"}},
			[]map[string]any{
				{"progressToken": "tok", "progress": 0.0, "total": 10.0, "message": "uploaded"},
				{"progressToken": "tok", "progress": 4.0, "total": 10.0, "message": "4 of 10"},
			}},
		{"unknown total is left out", []report{{1, 0, ""}},
			[]map[string]any{{"progressToken": "tok", "progress": 1.0}}},
		{"no step back or standing still", []report{{2, 10, "a"}, {2, 10, "b"}, {1, 10, "c"}, {3, 10, "d"}},
			[]map[string]any{
				{"progressToken": "tok", "progress": 2.0, "total": 10.0, "message": "a"},
				{"progressToken": "tok", "progress": 3.0, "total": 10.0, "message": "d"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []map[string]any
			p := progressSender(func(m map[string]any) { got = append(got, m) }, "tok")
			for _, r := range tt.reports {
				p(r.done, r.total, r.msg)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sent %v\nwant %v", got, tt.want)
			}
		})
	}
}
