package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeCLIExamples returns the command lines of the shell blocks in the
// README's "The CLI by example" section, in order.
func readmeCLIExamples(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, found := strings.Cut(string(b), "\n## The CLI by example\n")
	if !found {
		t.Fatal(`README.md has no "## The CLI by example" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var lines []string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		for _, l := range strings.Split(block[1], "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	return lines
}

// The README's placeholders, and how the run fills them in.
const (
	readmeRecordID = "001xx000003DGb2AAG"
	readmeJobID    = "750xx0000000001AAA"
)

// TestREADMECLIExamples runs every example of the README's CLI section, as
// written, against the --emulator org (as the README says it can be), and
// wants each to succeed and print something (or fill the file it writes;
// bulk loads report on stderr).
// The placeholder ids become the ones the examples create; the input files
// they name are written first.
func TestREADMECLIExamples(t *testing.T) {
	t.Parallel()
	lines := readmeCLIExamples(t)
	if len(lines) < 20 {
		t.Fatalf("found %d examples in the README's CLI section; the extraction is broken", len(lines))
	}
	dir := t.TempDir()
	writeIn := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeIn("accounts.csv", "Name,Industry\nReadme One,Energy\nReadme Two,Banking\n")
	writeIn("contacts.jsonl", `{"LastName":"Readme","External_Id__c":"C-1"}`+"\n"+`{"LastName":"Example","External_Id__c":"C-2"}`+"\n")
	env := append(baseEnv(t),
		"PATH="+filepath.Dir(binary)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SFMCP_EMULATOR=true",
		"SFMCP_EMULATOR_DATA="+filepath.Join(dir, "emulator.db"),
		"SFMCP_BULK_POLL=20ms",
	)
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("no sh:", err)
	}
	redirect := regexp.MustCompile(`(?:>|--output)\s+(\S+)`)
	jobID := regexp.MustCompile(`750[A-Za-z0-9]{15}`)
	recordID, job := "", ""
	for _, line := range lines {
		cmdline := line
		if strings.Contains(cmdline, readmeRecordID) {
			if recordID == "" {
				t.Fatalf("%q uses a record id before any example created one", line)
			}
			cmdline = strings.ReplaceAll(cmdline, readmeRecordID, recordID)
		}
		if strings.Contains(cmdline, readmeJobID) {
			if job == "" {
				t.Fatalf("%q uses a job id before any bulk example made one", line)
			}
			cmdline = strings.ReplaceAll(cmdline, readmeJobID, job)
		}
		cmd := exec.Command(sh, "-c", cmdline)
		cmd.Dir, cmd.Env = dir, env
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Errorf("README example %q: %v\nstdout: %s\nstderr: %s", line, err, out.String(), errOut.String())
			continue
		}
		if m := redirect.FindStringSubmatch(line); m != nil {
			if fi, err := os.Stat(filepath.Join(dir, m[1])); err != nil || fi.Size() == 0 {
				t.Errorf("README example %q: %s is missing or empty", line, m[1])
			}
		} else if strings.TrimSpace(out.String()) == "" && !strings.Contains(line, "sfmcp bulk ") {
			t.Errorf("README example %q printed nothing\nstderr: %s", line, errOut.String())
		} else if strings.TrimSpace(out.String()+errOut.String()) == "" {
			t.Errorf("README example %q printed nothing, not even its report", line)
		}
		if strings.Contains(line, "record create Account") {
			recordID = strings.TrimSpace(out.String())
		}
		if strings.Contains(line, "bulk insert") && job == "" {
			job = jobID.FindString(out.String() + errOut.String())
		}
	}
}
