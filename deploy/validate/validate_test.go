// Package validate checks the deployment examples under deploy/: every
// Kubernetes manifest decodes strictly into the Kubernetes API's own types
// (an unknown or misspelt field fails), the compose file loads with
// compose-go's schema validation, and both agree with the binary they run
// (probe and metrics paths it serves, the ports its flags set) and with the
// image goreleaser publishes.
package validate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

const (
	root        = "../.."
	k8sDir      = "../kubernetes"
	composeFile = "../compose.yaml"
)

// splitDocs splits a multi-document YAML file at its "---" lines.
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(b), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var out []string
	for line := range strings.Lines(s) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// decodeStrict decodes one manifest into the API type its apiVersion and
// kind name; a field the type lacks, a duplicate field or a kind this
// check does not know is an error.
func decodeStrict(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + "/" + tm.Kind {
	case "apps/v1/Deployment":
		obj = &appsv1.Deployment{}
	case "apps/v1/StatefulSet":
		obj = &appsv1.StatefulSet{}
	case "v1/Service":
		obj = &corev1.Service{}
	case "v1/Secret":
		obj = &corev1.Secret{}
	case "v1/ConfigMap":
		obj = &corev1.ConfigMap{}
	case "policy/v1/PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	default:
		return nil, fmt.Errorf("apiVersion %q kind %q: not a kind this check knows", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, nil
}

// TestStrictDecodingRefusesMistakes shows the decoding is strict: a
// misspelt field, a field at the wrong level and an unknown kind fail.
func TestStrictDecodingRefusesMistakes(t *testing.T) {
	for name, doc := range map[string]string{
		"misspelt field":  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 3\n",
		"misplaced field": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports:\n    - port: 80\n      path: /healthz\n",
		"duplicate field": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n",
		"unknown kind":    "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n",
	} {
		if _, err := decodeStrict([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without an error", name)
		}
	}
	if _, err := decodeStrict([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  ports:\n    - port: 80\n")); err != nil {
		t.Errorf("a correct Service: %v", err)
	}
}

// manifests decodes every document of every file in deploy/kubernetes.
func manifests(t *testing.T) []any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", k8sDir, err)
	}
	var objs []any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocs(b) {
			obj, err := decodeStrict(doc)
			if err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				continue
			}
			objs = append(objs, obj)
		}
	}
	return objs
}

// serveFlags are the flags of `sfmcp serve` that decide where it listens.
type serveFlags struct {
	addr, port, metricsAddr string
}

func parseServeArgs(t *testing.T, args []string) serveFlags {
	t.Helper()
	if len(args) < 3 || args[0] != "serve" || !slices.Contains(args, "--transport") || args[slices.Index(args, "--transport")+1] != "http" {
		t.Fatalf("the container does not run `serve --transport http`: %q", args)
	}
	var f serveFlags
	for i := 0; i < len(args)-1; i++ {
		switch args[i] {
		case "--addr":
			f.addr = args[i+1]
		case "--port":
			f.port = args[i+1]
		case "--metrics-addr":
			f.metricsAddr = args[i+1]
		}
	}
	if f.addr != "0.0.0.0" {
		t.Errorf("--addr %q: a container must listen beyond loopback (0.0.0.0)", f.addr)
	}
	if f.port == "" || f.metricsAddr == "" {
		t.Fatalf("serve's --port and --metrics-addr must be given: %q", args)
	}
	return f
}

// publishedImage is the image goreleaser.yaml publishes.
func publishedImage(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Dockers []struct {
			Images []string `json:"images"`
		} `json:"dockers_v2"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Dockers) != 1 || len(cfg.Dockers[0].Images) != 1 {
		t.Fatalf("goreleaser.yaml: want one dockers_v2 entry with one image, got %+v", cfg.Dockers)
	}
	return cfg.Dockers[0].Images[0]
}

func imageRepo(image string) string {
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i]
	}
	return image
}

// portOf resolves a probe's or a Service's port (a number or a container
// port's name) against a container.
func portOf(p intstr.IntOrString, c corev1.Container) int32 {
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	return -1
}

func containerPort(c corev1.Container, name string) int32 {
	return portOf(intstr.FromString(name), c)
}

// checkWorkload holds every container of a pod to the deployment's bar:
// non-root, no privilege escalation, a read-only root, limits, probes, and
// secrets only from Secrets.
func checkWorkload(t *testing.T, name string, spec corev1.PodSpec) {
	t.Helper()
	sc := spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Errorf("%s: the pod must run as a non-root user (runAsNonRoot, runAsUser ≠ 0)", name)
	}
	for _, c := range spec.Containers {
		csc := c.SecurityContext
		if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
			csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
			csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") {
			t.Errorf("%s/%s: want allowPrivilegeEscalation false, readOnlyRootFilesystem true, capabilities drop ALL", name, c.Name)
		}
		if c.Resources.Limits.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() ||
			c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s/%s: want CPU and memory requests and limits", name, c.Name)
		}
		if c.ReadinessProbe == nil || c.LivenessProbe == nil {
			t.Errorf("%s/%s: want readiness and liveness probes", name, c.Name)
		}
		defined := map[string]bool{}
		for _, e := range c.Env {
			if strings.Contains(e.Name, "PASSWORD") || strings.Contains(e.Name, "SECRET") || strings.HasSuffix(e.Name, "_KEY") {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					t.Errorf("%s/%s: %s must come from a Secret (valueFrom.secretKeyRef), not a value", name, c.Name, e.Name)
				}
			}
			// Kubernetes expands $(VAR) only from variables defined before.
			for _, m := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(e.Value, -1) {
				if !defined[m[1]] {
					t.Errorf("%s/%s: %s refers to $(%s), which is not defined before it", name, c.Name, e.Name, m[1])
				}
			}
			defined[e.Name] = true
		}
		for _, a := range c.Args {
			for _, m := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(a, -1) {
				if !defined[m[1]] {
					t.Errorf("%s/%s: an argument refers to $(%s), which the container does not define", name, c.Name, m[1])
				}
			}
		}
	}
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestKubernetesManifest checks deploy/kubernetes against itself, the
// binary's flags and routes, and the published image.
func TestKubernetesManifest(t *testing.T) {
	objs := manifests(t)
	var (
		deploys  []*appsv1.Deployment
		sets     []*appsv1.StatefulSet
		services = map[string]*corev1.Service{}
		pdbs     []*policyv1.PodDisruptionBudget
	)
	for _, o := range objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			deploys = append(deploys, o)
		case *appsv1.StatefulSet:
			sets = append(sets, o)
		case *corev1.Service:
			services[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, o)
		case *corev1.Secret:
			t.Errorf("secret %s is committed: create it with kubectl (see the manifest's comment)", o.Name)
		}
	}
	if len(deploys) != 1 {
		t.Fatalf("%d Deployments; want one, sfmcp", len(deploys))
	}
	d := deploys[0]
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("Deployment %s: want at least 2 replicas", d.Name)
	}
	if d.Spec.Selector == nil || !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Errorf("Deployment %s: its selector does not select its pods", d.Name)
	}
	checkWorkload(t, "Deployment "+d.Name, d.Spec.Template.Spec)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment %s: want one container", d.Name)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if got, want := imageRepo(c.Image), publishedImage(t); got != want {
		t.Errorf("image %s; want goreleaser's %s", c.Image, want)
	}
	flags := parseServeArgs(t, c.Args)
	if p := containerPort(c, "http"); strconv.Itoa(int(p)) != flags.port {
		t.Errorf("container port http is %d; serve listens on --port %s", p, flags.port)
	}
	_, metricsPort, err := net.SplitHostPort(flags.metricsAddr)
	if err != nil {
		t.Fatalf("--metrics-addr %q: %v", flags.metricsAddr, err)
	}
	if p := containerPort(c, "metrics"); strconv.Itoa(int(p)) != metricsPort {
		t.Errorf("container port metrics is %d; --metrics-addr says %s", p, metricsPort)
	}
	ann := d.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != metricsPort || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v; want scrape true, port %s, path /metrics", ann, metricsPort)
	}
	var probePaths []string
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("the sfmcp container's probes must be HTTP GETs")
			continue
		}
		if got := portOf(p.HTTPGet.Port, c); strconv.Itoa(int(got)) != flags.port {
			t.Errorf("a probe asks port %v (%d); serve listens on %s", p.HTTPGet.Port.String(), got, flags.port)
		}
		probePaths = append(probePaths, p.HTTPGet.Path)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if env["OAUTH_MODE"].Value == "proxy" && env["OAUTH_STORAGE_TYPE"].Value != "redis" {
		t.Errorf("several replicas in proxy mode need OAUTH_STORAGE_TYPE=redis")
	}

	// The Service in front of sfmcp reaches the http port.
	svc := services[d.Name]
	if svc == nil || !selects(svc.Spec.Selector, d.Spec.Template.Labels) || len(svc.Spec.Ports) == 0 ||
		strconv.Itoa(int(portOf(svc.Spec.Ports[0].TargetPort, c))) != flags.port {
		t.Errorf("want a Service %s selecting the pods with targetPort the http port", d.Name)
	}
	for _, p := range pdbs {
		if p.Spec.Selector == nil || !selects(p.Spec.Selector.MatchLabels, d.Spec.Template.Labels) ||
			p.Spec.MinAvailable == nil || p.Spec.MinAvailable.IntValue() >= int(*d.Spec.Replicas) {
			t.Errorf("PodDisruptionBudget %s: must select sfmcp's pods and leave room to evict one", p.Name)
		}
	}

	// REDIS_URL names the Redis of the manifest, at its Service's port.
	u, err := url.Parse(env["REDIS_URL"].Value)
	if err != nil || u.Scheme != "redis" {
		t.Fatalf("REDIS_URL %q: want a redis:// URL", env["REDIS_URL"].Value)
	}
	rsvc := services[u.Hostname()]
	if rsvc == nil || len(rsvc.Spec.Ports) == 0 || strconv.Itoa(int(rsvc.Spec.Ports[0].Port)) != u.Port() {
		t.Fatalf("REDIS_URL's host %s:%s is no Service of the manifest", u.Hostname(), u.Port())
	}
	if len(sets) != 1 || !selects(rsvc.Spec.Selector, sets[0].Spec.Template.Labels) || sets[0].Spec.ServiceName != rsvc.Name {
		t.Fatalf("want one StatefulSet for Redis behind Service %s", rsvc.Name)
	}
	checkWorkload(t, "StatefulSet "+sets[0].Name, sets[0].Spec.Template.Spec)
	if rc := sets[0].Spec.Template.Spec.Containers[0]; strconv.Itoa(int(portOf(rsvc.Spec.Ports[0].TargetPort, rc))) != u.Port() {
		t.Errorf("Service %s does not reach Redis's port %s", rsvc.Name, u.Port())
	}

	// The binary serves what the probes and the scrape ask for.
	checkRoutes(t, c.Args, probePaths, ann["prometheus.io/path"])
}

// checkRoutes builds sfmcp, runs it with the manifest's arguments (but on
// loopback and free ports) and asks the probe paths on its port and the
// metrics path on its metrics port: each must answer 200.
func checkRoutes(t *testing.T, args, probePaths []string, metricsPath string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sfmcp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/sfmcp")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, mport := freePort(t), freePort(t)
	run := slices.Clone(args)
	for i := 0; i < len(run)-1; i++ {
		switch run[i] {
		case "--addr":
			run[i+1] = "127.0.0.1"
		case "--port":
			run[i+1] = strconv.Itoa(port)
		case "--metrics-addr":
			run[i+1] = "127.0.0.1:" + strconv.Itoa(mport)
		}
	}
	home := t.TempDir()
	cmd := exec.Command(bin, run...)
	// Bearer mode: the routes are the same in every mode, and it needs no
	// Redis or Connected App to start.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + home, "XDG_DATA_HOME=" + home, "OAUTH_MODE=bearer"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	get := func(u string) (int, string, error) {
		resp, err := http.Get(u)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(b), nil
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, _, err := get(base + "/"); err == nil {
			break
		} else if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("sfmcp never listened: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range probePaths {
		if st, body, err := get(base + p); err != nil || st != 200 {
			t.Errorf("probe path %s: %d %v %s", p, st, err, body)
		}
	}
	st, body, err := get(fmt.Sprintf("http://127.0.0.1:%d%s", mport, metricsPath))
	if err != nil || st != 200 || !strings.Contains(body, "sfmcp_tool_calls_in_flight") {
		t.Errorf("metrics path %s: %d %v", metricsPath, st, err)
	}
	// And a path it does not serve is not taken for one.
	if st, _, _ := get(base + "/nope"); st != 404 {
		t.Errorf("GET /nope: %d; want 404 (the route check could not fail)", st)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// loadCompose loads the compose file as `docker compose` would, schema
// validation included, with env as the environment.
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	b, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(composeFile)
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs, Content: b}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("sfmcp", true) })
}

// TestCompose loads deploy/compose.yaml with compose-go and checks it
// against the image, the flags and the Redis it names; without its
// required secrets it must refuse to load.
func TestCompose(t *testing.T) {
	env := map[string]string{"SALESFORCE_CLIENT_ID": "id", "STORAGE_ENCRYPTION_KEY": "key", "REDIS_PASSWORD": "pw"}
	p, err := loadCompose(t, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, missing := range []string{"SALESFORCE_CLIENT_ID", "STORAGE_ENCRYPTION_KEY", "REDIS_PASSWORD"} {
		partial := map[string]string{}
		for k, v := range env {
			if k != missing {
				partial[k] = v
			}
		}
		if _, err := loadCompose(t, partial); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("loaded without %s: %v", missing, err)
		}
	}
	s, err := p.GetService("sfmcp")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := imageRepo(s.Image), publishedImage(t); got != want {
		t.Errorf("image %s; want goreleaser's %s", s.Image, want)
	}
	if s.Deploy == nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas < 2 {
		t.Errorf("want at least 2 sfmcp replicas")
	}
	flags := parseServeArgs(t, s.Command)
	if len(s.Ports) != 1 || strconv.Itoa(int(s.Ports[0].Target)) != flags.port {
		t.Errorf("published ports %+v; serve listens on --port %s", s.Ports, flags.port)
	}
	if s.User == "" || strings.HasPrefix(s.User, "0") || !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
		t.Errorf("sfmcp: want a non-root user, a read-only root and cap_drop ALL")
	}
	redisURL := s.Environment["REDIS_URL"]
	if redisURL == nil {
		t.Fatal("sfmcp has no REDIS_URL")
	}
	u, err := url.Parse(*redisURL)
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := u.User.Password(); pw != "pw" {
		t.Errorf("REDIS_URL does not carry REDIS_PASSWORD")
	}
	r, err := p.GetService(u.Hostname())
	if err != nil {
		t.Fatalf("REDIS_URL's host %s is no service: %v", u.Hostname(), err)
	}
	if dep, ok := s.DependsOn[r.Name]; !ok || dep.Condition != types.ServiceConditionHealthy || r.HealthCheck == nil {
		t.Errorf("sfmcp must wait for %s to be healthy", r.Name)
	}
	if !slices.Contains(r.Command, "--requirepass") {
		t.Errorf("redis runs without a password")
	}
	if env := s.Environment; env["OAUTH_MODE"] != nil && *env["OAUTH_MODE"] == "proxy" &&
		(env["OAUTH_STORAGE_TYPE"] == nil || *env["OAUTH_STORAGE_TYPE"] != "redis") {
		t.Errorf("several replicas in proxy mode need OAUTH_STORAGE_TYPE=redis")
	}
}

// TestComposeValidationIsStrict: compose-go refuses a misspelt key, so
// TestCompose's load could fail.
func TestComposeValidationIsStrict(t *testing.T) {
	bad := []byte("services:\n  sfmcp:\n    image: x\n    comand: [serve]\n")
	_, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  t.TempDir(),
		ConfigFiles: []types.ConfigFile{{Filename: "compose.yaml", Content: bad}},
	}, func(o *loader.Options) { o.SetProjectName("x", true) })
	if err == nil || !strings.Contains(err.Error(), "comand") {
		t.Errorf("a misspelt key loaded: %v", err)
	}
	if errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed for another reason: %v", err)
	}
}
