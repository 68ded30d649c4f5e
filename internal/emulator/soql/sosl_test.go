package soql

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	m := fixture()
	rev := map[string]string{}
	for k, v := range ids {
		rev[v] = k
	}
	tests := []struct{ q, want string }{
		{"FIND {acme} RETURNING Account(Name)", "acme"},
		{"FIND {ACME} IN ALL FIELDS RETURNING Account(Id, Name), Contact(LastName)", "acme,smith,jones"},
		{"FIND {acme} IN NAME FIELDS RETURNING Account, Contact", "acme"},
		{"FIND {ann@acme.test} IN EMAIL FIELDS RETURNING Contact(Email)", "smith"},
		{"FIND {glob*} RETURNING Account(Name)", "globex"},
		{"FIND {gl?bex} RETURNING Account(Name)", "globex"},
		{"FIND {acm} RETURNING Account(Name)", ""},
		{"FIND {acme OR globex} RETURNING Account(Name ORDER BY Name DESC)", "globex,acme"},
		{"FIND {acme OR globex} RETURNING Account(Name WHERE NumberOfEmployees > 60)", "globex"},
		{"FIND {acme OR globex} RETURNING Account(Name LIMIT 1)", "acme"},
		{"FIND {\"Big Deal\"} RETURNING Opportunity(Name)", "big"},
		{"FIND {deal AND NOT big} RETURNING Opportunity(Name)", "small,mid"},
		{"FIND {deal} RETURNING Opportunity(Name) LIMIT 2", "big,small"},
		{"FIND {Gone} RETURNING Account(Name)", ""},
	}
	for _, tc := range tests {
		s, err := CompileSearch(tc.q, testSchema(t))
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		rows, err := s.Execute(context.Background(), m, opts())
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		var got []string
		for _, r := range rows {
			a := r.Get("attributes").(*Row)
			url := a.Get("url").(string)
			got = append(got, rev[url[strings.LastIndex(url, "/")+1:]])
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.q, strings.Join(got, ","), tc.want)
		}
	}
	s, _ := CompileSearch("FIND {acme} RETURNING Account(Name, Owner.Name)", testSchema(t))
	rows, _ := s.Execute(context.Background(), m, opts())
	b, _ := rows[0].AppendJSON(nil)
	want := `{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/` + ids["acme"] + `"},"Name":"Acme","Owner":{"attributes":{"type":"User","url":"/services/data/v62.0/sobjects/User/` + ids["alice"] + `"},"Name":"Alice Admin"}}`
	if string(b) != want {
		t.Errorf("search record:\n got  %s\n want %s", b, want)
	}
}

func TestSearchErrors(t *testing.T) {
	tests := []struct{ q, code, msg string }{
		{"SELECT Id FROM Account", CodeMalformedSearch, "No search term found"},
		{"FIND acme", CodeMalformedSearch, "No search term found"},
		{"FIND {acme", CodeMalformedSearch, "No search term found"},
		{"FIND {a}", CodeMalformedSearch, "longer than one character"},
		{"FIND {acme} RETURNING Nope", CodeInvalidType, "sObject type 'Nope' is not supported"},
		{"FIND {acme} RETURNING Account(Nope)", CodeInvalidField, "No such column 'Nope' on entity 'Account'"},
		{"FIND {acme} IN FOO FIELDS", CodeMalformedSearch, "unexpected token: 'FOO'"},
		{"FIND {acme} RETURNING Account(Name", CodeMalformedSearch, "unexpected token: '<EOF>'"},
	}
	for _, tc := range tests {
		_, err := CompileSearch(tc.q, testSchema(t))
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: %v, want %s %q", tc.q, err, tc.code, tc.msg)
		}
	}
}

func FuzzCompileSearch(f *testing.F) {
	f.Add("FIND {acme OR \"big deal\"} IN NAME FIELDS RETURNING Account(Name WHERE Name != null ORDER BY Name LIMIT 2), Contact LIMIT 5")
	f.Add("FIND 'x*' RETURNING Lead(Owner.Name)")
	sch := testSchema(f)
	m := fixture()
	f.Fuzz(func(t *testing.T, text string) {
		s, err := CompileSearch(text, sch)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("CompileSearch(%q): %v is not an *Error", text, err)
			}
			return
		}
		if _, err := s.Execute(context.Background(), m, opts()); err != nil {
			t.Fatalf("Execute(%q): %v", text, err)
		}
	})
}
