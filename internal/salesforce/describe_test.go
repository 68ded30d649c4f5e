package salesforce

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

func describeOrg(t *testing.T) (string, *recorder) {
	lead := readTestdata(t, "describe_Lead.json")
	global := readTestdata(t, "sobjects_global.json")
	srv, rec := newFakeOrg(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/services/data/v62.0/sobjects/Lead/describe", "/services/data/v62.0/sobjects/lead/describe":
			time.Sleep(10 * time.Millisecond) // let concurrent callers overlap
			writeJSON(w, 200, lead)
		case "/services/data/v62.0/sobjects":
			writeJSON(w, 200, global)
		default:
			writeSFError(w, 404, "NOT_FOUND", "The requested resource does not exist")
		}
	})
	return srv.URL, rec
}

func TestDescribeSObjectDecodesAndCaches(t *testing.T) {
	t.Parallel()
	base, rec := describeOrg(t)
	c := newTestClient(t, base)
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := c.DescribeSObject(ctx, "Lead"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	d, err := c.DescribeSObject(ctx, "lead") // names are case-insensitive
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.count(""); n != 1 {
		t.Errorf("%d describe requests, want 1", n)
	}
	if d.Name != "Lead" || d.KeyPrefix != "00Q" || len(d.Fields) != 54 || len(d.Raw) == 0 {
		t.Fatalf("describe = %s %s %d fields, raw %d bytes", d.Name, d.KeyPrefix, len(d.Fields), len(d.Raw))
	}
	var status *FieldDescribe
	for i := range d.Fields {
		if d.Fields[i].Name == "Status" {
			status = &d.Fields[i]
		}
	}
	if status == nil || status.Type != "picklist" || len(status.PicklistValues) != 4 || status.PicklistValues[2].Value != "Closed - Converted" {
		t.Errorf("Status field = %+v", status)
	}

	// A second client of the same org sharing the cache makes no request;
	// one at another API version does.
	shared := newTestClient(t, base, func(cfg *Config, _ *TokenSourceConfig) { cfg.DescribeCache = c.describe })
	if _, err := shared.DescribeSObject(ctx, "Lead"); err != nil {
		t.Fatal(err)
	}
	if rec.count("") != 1 {
		t.Error("a client sharing the cache fetched again")
	}
	other := newTestClient(t, base, func(cfg *Config, _ *TokenSourceConfig) { cfg.DescribeCache = c.describe; cfg.APIVersion = "v61.0" })
	if _, err := other.DescribeSObject(ctx, "Lead"); err == nil {
		t.Error("expected 404 for another version on this fake org")
	}
	if rec.count("/services/data/v61.0/sobjects/Lead/describe") != 1 {
		t.Error("another API version must not hit the cache")
	}
}

func TestDescribeErrorsAreNotCached(t *testing.T) {
	t.Parallel()
	base, rec := describeOrg(t)
	c := newTestClient(t, base)
	for range 2 {
		if _, err := c.DescribeSObject(context.Background(), "Nope__c"); !IsNotFound(err) {
			t.Fatalf("err = %v, want not found", err)
		}
	}
	if n := rec.count(""); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestDescribeGlobalCached(t *testing.T) {
	t.Parallel()
	base, rec := describeOrg(t)
	c := newTestClient(t, base)
	for range 3 {
		g, err := c.DescribeGlobal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if g.MaxBatchSize != 200 || len(g.SObjects) != 5 || g.SObjects[0].Name == "" {
			t.Fatalf("global = %+v", g)
		}
	}
	if n := rec.count(""); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
