package ops

import (
	"context"
	"testing"
)

// TestFreeTextReachesSOQLExactly sends company names holding backslashes,
// quotes, escape-looking sequences and LIKE wildcards through lead sync (which
// looks the company up with SOQL) into the emulator's SOQL lexer over HTTP.
// Each must find exactly its own account: never a query error, never a
// neighbour whose name differs by one escape. Without the backslash rule in
// salesforce.QuoteSOQL the lexer refuses `\s`, and `\n` written by a user
// would turn into a newline and match the wrong account.
func TestFreeTextReachesSOQLExactly(t *testing.T) {
	t.Parallel()
	_, c := leadOrg(t)
	ctx := context.Background()
	s := NewLeadSyncer(LeadSyncConfig{})
	names := []string{
		`Back\slash Co`,
		`Back\\slash Co`,      // two backslashes: a different company
		`Trailing Backslash\`, // would swallow the closing quote
		`Quote\' Trick`,       // a backslash before a quote
		`Newline\nLiteral`,    // the two characters \ and n
		"Newline\nLiteral",    // a real newline: must not be confused with the above
		`100% "Best"_Deals`,   // wildcards and double quotes are plain text in =
		`O'Brien\Partners`,
	}
	accounts := map[string]string{}
	for _, n := range names {
		id, err := c.CreateRecord(ctx, "Account", map[string]any{"Name": n})
		if err != nil {
			t.Fatalf("create account %q: %v", n, err)
		}
		accounts[n] = id
	}
	// A decoy that a LIKE-style or wildcard reading of `100% "Best"_Deals` would match.
	if _, err := c.CreateRecord(ctx, "Account", map[string]any{"Name": `100% "Best"xDeals`}); err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		email := "escape" + string(rune('a'+i)) + "@example.com"
		out, err := s.SyncLead(ctx, c, SyncLeadInput{Email: email, LastName: "Escape", Company: n, Status: LeadStatusScheduled})
		if err != nil {
			t.Fatalf("sync with company %q: %v", n, err)
		}
		if out.Action != ActionConverted || out.AccountID != accounts[n] {
			t.Errorf("company %q: converted into %s (action %s); want its own account %s", n, out.AccountID, out.Action, accounts[n])
		}
	}

	// lead list's status filter builds SOQL from the value as given: a
	// status with a backslash and a quote is a value that matches no lead,
	// not a malformed query.
	for _, st := range []string{`Open\Not Contacted`, `Open - Not Contacted\`, `x' OR Status != 'y`} {
		list, err := ListLeads(ctx, c, ListLeadsInput{Status: st, Limit: 5})
		if err != nil {
			t.Fatalf("list with status %q: %v", st, err)
		}
		if list.Count != 0 {
			t.Errorf("status %q matched %d leads", st, list.Count)
		}
	}
	exact, err := ListLeads(ctx, c, ListLeadsInput{Status: "Open - Not Contacted", Limit: 5})
	if err != nil || exact.Count == 0 {
		t.Fatalf("the plain status matched nothing: %+v %v", exact, err)
	}
}
