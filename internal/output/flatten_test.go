package output

import (
	"reflect"
	"testing"
)

func TestFlatten(t *testing.T) {
	tests := []struct {
		name   string
		record string
		want   []Field
	}{
		{
			name:   "scalars keep their order and text",
			record: `{"attributes":{"type":"Account","url":"/services/data/v66.0/sobjects/Account/001"},"Zeta":"z","Id":"001000000000001AAA","AnnualRevenue":1.50,"Big":12345678901234567890,"IsDeleted":false,"Fax":null}`,
			want: []Field{
				{"Zeta", "z", KindString},
				{"Id", "001000000000001AAA", KindString},
				{"AnnualRevenue", "1.50", KindNumber},
				{"Big", "12345678901234567890", KindNumber},
				{"IsDeleted", "false", KindBool},
				{"Fax", "", KindNull},
			},
		},
		{
			name:   "nested parents flatten with dots, attributes dropped at every level",
			record: `{"attributes":{"type":"Contact"},"Name":"Ann","Account":{"attributes":{"type":"Account"},"Name":"Acme","Owner":{"attributes":{"type":"User"},"Email":"o@x.com"}},"Title":"CEO"}`,
			want: []Field{
				{"Name", "Ann", KindString},
				{"Account.Name", "Acme", KindString},
				{"Account.Owner.Email", "o@x.com", KindString},
				{"Title", "CEO", KindString},
			},
		},
		{
			name:   "null parent is one null cell",
			record: `{"Name":"Ann","Account":null}`,
			want:   []Field{{"Name", "Ann", KindString}, {"Account", "", KindNull}},
		},
		{
			name:   "parent with only attributes is a null cell",
			record: `{"Account":{"attributes":{"type":"Account"}}}`,
			want:   []Field{{"Account", "", KindNull}},
		},
		{
			name: "child subquery is one compact JSON cell",
			record: `{"Name":"Acme","Contacts":{"totalSize":1,"done":true,"records":[
				{"attributes":{"type":"Contact"},"LastName":"Li"}]},"Id":"001"}`,
			want: []Field{
				{"Name", "Acme", KindString},
				{"Contacts", `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact"},"LastName":"Li"}]}`, KindJSON},
				{"Id", "001", KindString},
			},
		},
		{
			name:   "arrays and compound fields",
			record: `{"Tags": [1, "a"], "BillingAddress": {"city": "Zürich", "country": "CH", "latitude": null}}`,
			want: []Field{
				{"Tags", `[1,"a"]`, KindJSON},
				{"BillingAddress.city", "Zürich", KindString},
				{"BillingAddress.country", "CH", KindString},
				{"BillingAddress.latitude", "", KindNull},
			},
		},
		{
			name:   "aggregate result",
			record: `{"attributes":{"type":"AggregateResult"},"expr0":42}`,
			want:   []Field{{"expr0", "42", KindNumber}},
		},
		{
			name:   "unicode and escapes",
			record: `{"Name":"日本\u00e9\"q\"\n"}`,
			want:   []Field{{"Name", "日本é\"q\"\n", KindString}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Flatten(nil, []byte(tt.record))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestFlattenRejectsNonObjects(t *testing.T) {
	for _, in := range []string{`[]`, `"x"`, `{"a":1} {"b":2}`, `{"a":`, ``} {
		if _, err := Flatten(nil, []byte(in)); err == nil {
			t.Errorf("Flatten(%q) succeeded", in)
		}
	}
}
