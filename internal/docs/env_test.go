package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sfmcp/sfmcp/internal/config"
)

// envLiteral matches the environment variable names sfmcp reads that carry a
// recognisable prefix; config.EnvNames supplies the bare ones (PORT, ...).
var envLiteral = regexp.MustCompile(`"((?:SFMCP|SALESFORCE|SF|OAUTH|MCP|FASTMCP)_[A-Z0-9_]+)"`)

// TestREADMEListsEveryEnvironmentVariable finds the variables in the
// non-test Go sources and in the config's table and wants each in README.md.
func TestREADMEListsEveryEnvironmentVariable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{} // name -> where it was found
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			if strings.Contains(filepath.ToSlash(path), "/internal/e2e/") {
				return nil
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range envLiteral.FindAllSubmatch(src, -1) {
				names[string(m[1])] = path
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{
		config.KeyOrg, config.KeyEmulator, config.KeyAPIVersion, config.KeyQuiet, config.KeyVerbose,
		config.KeyAccessToken, config.KeyRefreshToken, config.KeyInstanceURL, config.KeyLoginURL,
		config.KeyTokenURL, config.KeyClientID, config.KeyClientSecret, config.KeyUserID, config.KeyOrgID,
		config.KeyUsername, config.KeyLogLevel, config.KeyOAuthMode, config.KeyBaseURL,
		config.KeyOAuthRequiredScopes, config.KeyOAuthStorageType, config.KeyRedisURL,
		config.KeyStorageEncryptionKey, config.KeyHost, config.KeyPort,
	} {
		envs := config.EnvNames(key)
		if len(envs) == 0 {
			t.Errorf("config key %q has no environment variables", key)
		}
		for _, e := range envs {
			names[e] = "internal/config (" + key + ")"
		}
	}
	var missing []string
	for name, where := range names {
		if !regexp.MustCompile("`" + name + "`").Match(readme) {
			missing = append(missing, name+" (from "+where+")")
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("README.md does not document these environment variables (as `NAME`):\n  %s", strings.Join(missing, "\n  "))
	}
}
