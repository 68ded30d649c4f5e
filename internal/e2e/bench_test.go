package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/emulator"
	"github.com/sfmcp/sfmcp/internal/emulator/emulatortest"
)

// BenchmarkStartup runs `sfmcp --version`: process start-up, nothing else.
func BenchmarkStartup(b *testing.B) {
	for b.Loop() {
		if err := exec.Command(binary, "--version").Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryCSV streams 10,000 Accounts (5 pages of 2000) through the
// binary to CSV. .ci/bench-query.sh does the same with 100,000 beside curl.
func BenchmarkQueryCSV(b *testing.B) {
	const n = 10000
	em := emulatortest.New(b, func(o *emulator.Options) { o.NoSampleData = true })
	for i := 0; i < n; i += 200 {
		recs := make([]map[string]any, 0, 200)
		for j := i; j < i+200; j++ {
			recs = append(recs, map[string]any{"attributes": map[string]any{"type": "Account"}, "Name": fmt.Sprintf("Bench %d", j), "NumberOfEmployees": j})
		}
		status, body := em.Do(b, "POST", "/services/data/v66.0/composite/sobjects", map[string]any{"allOrNone": true, "records": recs})
		if status != 200 {
			b.Fatalf("load: %d %s", status, body)
		}
	}
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + b.TempDir(), "SALESFORCE_ACCESS_TOKEN=" + em.Token.AccessToken, "SALESFORCE_INSTANCE_URL=" + em.URL}
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.CommandContext(context.Background(), binary, "query", "--csv", "SELECT Id, Name, NumberOfEmployees FROM Account")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		if lines := strings.Count(string(out), "\n"); lines != n+1 {
			b.Fatalf("%d lines", lines)
		}
	}
	b.ReportMetric(float64(n), "records/op")
}
