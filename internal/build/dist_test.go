package build_test

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The release platforms, as goreleaser names them in archive names.
var releasePlatforms = []struct{ goos, goarch, ext string }{
	{"darwin", "amd64", "tar.gz"}, {"darwin", "arm64", "tar.gz"},
	{"linux", "amd64", "tar.gz"}, {"linux", "arm64", "tar.gz"},
	{"windows", "amd64", "zip"}, {"windows", "arm64", "zip"},
}

// TestDist checks what `goreleaser release` left in a dist folder:
// make release-check runs it on a snapshot and on a tagged build (SFMCP_DIST
// names the folder, SFMCP_DIST_VERSION the version goreleaser gave it). It
// checks the six archives and what each carries, that checksums.txt matches
// them, that the Homebrew cask's sha256 values match them and its URLs use
// the same version as their file names, and that the archived binary for
// this machine reports that version.
func TestDist(t *testing.T) {
	dist, version := os.Getenv("SFMCP_DIST"), os.Getenv("SFMCP_DIST_VERSION")
	if dist == "" || version == "" {
		t.Skip("checks a goreleaser dist/ folder: make release-check sets SFMCP_DIST and SFMCP_DIST_VERSION")
	}

	// The six archives, and no others.
	archives, err := filepath.Glob(filepath.Join(dist, "sfmcp_*"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range archives {
		if strings.HasSuffix(a, ".tar.gz") || strings.HasSuffix(a, ".zip") {
			names = append(names, filepath.Base(a))
		}
	}
	var want []string
	for _, p := range releasePlatforms {
		want = append(want, "sfmcp_"+version+"_"+p.goos+"_"+p.goarch+"."+p.ext)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("archives in %s:\n got %q\nwant %q", dist, names, want)
	}

	sums := map[string]string{}
	for _, n := range names {
		sums[n] = sha256File(t, filepath.Join(dist, n))
	}

	t.Run("checksums", func(t *testing.T) {
		listed := readChecksums(t, filepath.Join(dist, "checksums.txt"))
		for n, sum := range sums {
			if listed[n] != sum {
				t.Errorf("checksums.txt has %q for %s, the file's sha256 is %s", listed[n], n, sum)
			}
		}
	})

	t.Run("contents", func(t *testing.T) {
		for _, p := range releasePlatforms {
			n := "sfmcp_" + version + "_" + p.goos + "_" + p.goarch + "." + p.ext
			files := archiveFiles(t, filepath.Join(dist, n))
			bin := "sfmcp"
			if p.goos == "windows" {
				bin = "sfmcp.exe"
			}
			for _, f := range []string{bin, "README.md", "LICENSE", "man/sfmcp.1", "completions/sfmcp.bash", "completions/_sfmcp", "completions/sfmcp.fish"} {
				if _, ok := files[f]; !ok {
					t.Errorf("%s lacks %s", n, f)
				}
			}
		}
	})

	t.Run("cask", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(dist, "homebrew", "Casks", "sfmcp.rb"))
		if err != nil {
			t.Fatal(err)
		}
		cask := string(data)
		if !strings.Contains(cask, `version "`+version+`"`) {
			t.Errorf("the cask does not say version %q:\n%s", version, cask)
		}
		// In each on_* block goreleaser writes the sha256, then the url, whose
		// version is Ruby's #{version}: the cask's own version line.
		sumURL := regexp.MustCompile(`sha256 "([0-9a-f]{64})"\s*\n\s*url "([^"]+)"`)
		pairs := sumURL.FindAllStringSubmatch(cask, -1)
		darwinLinux := 0
		for _, n := range names {
			if !strings.Contains(n, "windows") {
				darwinLinux++
			}
		}
		if len(pairs) != darwinLinux {
			t.Fatalf("the cask has %d url/sha256 pairs, want one per macOS and Linux archive (%d):\n%s", len(pairs), darwinLinux, cask)
		}
		for _, m := range pairs {
			sum, url := m[1], strings.ReplaceAll(m[2], "#{version}", version)
			file := url[strings.LastIndex(url, "/")+1:]
			if sums[file] == "" {
				t.Errorf("cask url %s names no archive that was built", url)
				continue
			}
			if sum != sums[file] {
				t.Errorf("cask sha256 for %s is %s, the archive's is %s", file, sum, sums[file])
			}
			// .../releases/download/<tag>/<file>: the tag must be the version
			// the file name carries, so the URL of a release that exists.
			parts := strings.Split(url, "/")
			if tag := parts[len(parts)-2]; tag != "v"+version {
				t.Errorf("cask url %s downloads from release %q, but the file is version %s", url, tag, version)
			}
		}
	})

	t.Run("version", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("the archived binary is checked on Linux and macOS")
		}
		n := "sfmcp_" + version + "_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz"
		if sums[n] == "" {
			t.Skipf("no archive for %s/%s", runtime.GOOS, runtime.GOARCH)
		}
		bin := filepath.Join(t.TempDir(), "sfmcp")
		if err := os.WriteFile(bin, archiveFiles(t, filepath.Join(dist, n))["sfmcp"], 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("sfmcp version: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), version) {
			t.Errorf("sfmcp version from %s says %q, want %s", n, strings.TrimSpace(string(out)), version)
		}
	})
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// readChecksums reads a sha256sum-style file: "<hex>  <name>" per line.
func readChecksums(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			m[f[1]] = f[0]
		}
	}
	return m
}

// archiveFiles returns the regular files of a .tar.gz or .zip by name.
func archiveFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name] = b
		}
		return files
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = b
	}
}
