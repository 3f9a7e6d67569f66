package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

const (
	// defaultCRD is the k6-operator TestRun CRD in the shared/ directory beside the repository clone, relative
	// to this package; K6_OPERATOR_CRD names another file (relative to the repository root).
	defaultCRD = "../../shared/k6-operator/k6.io_testruns.yaml"

	namespace = "valora-k6"
	// scriptDir is where the image keeps the bundled scenarios (dist/ of the repository).
	scriptDir = "/opt/valora-k6/dist/"
	ownImage  = "ghcr.io/valora-k6/valora-k6"
	// provisionedSecret is written by the provision Job, so it exists only once provisioning has run.
	provisionedSecret = "valora-k6-provisioned"
	secretExample     = "secret.example.yaml"
)

// kustomizeFiles configure kustomize; they hold no Kubernetes objects.
var kustomizeFiles = []string{"kustomization.yaml", "kustomizeconfig.yaml"}

// vusVariable names the variable that sets a scenario's VU count. The operator refuses a TestRun whose
// parallelism exceeds the script's VUs, and only says so once the initializer has run in the cluster.
var vusVariable = map[string]string{
	"ingest_load":         "INGEST_VUS",
	"billing_dashboard":   "DASHBOARD_VUS",
	"webhook_idempotency": "WEBHOOK_VUS",
	"capacity":            "CAPACITY_MAX_VUS",
}

// ---------------------------------------------------------------- reading manifests

type manifest struct {
	file string
	doc  int // 1-based among the file's non-empty documents
	obj  map[string]any
}

func (m manifest) kind() string { return str(m.obj, "kind") }
func (m manifest) name() string { return str(m.obj, "metadata", "name") }
func (m manifest) String() string {
	return fmt.Sprintf("%s#%d %s/%s", m.file, m.doc, m.kind(), m.name())
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// readDocuments parses every document of a (multi-document) YAML file. Duplicate keys are errors: in a manifest
// the last one silently wins. Numbers stay json.Number, so integers are checked exactly.
func readDocuments(path string) ([]map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for i, doc := range docSeparator.Split(string(data), -1) {
		j, err := yaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i+1, err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i+1, err)
		}
		if v == nil {
			continue // only comments
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: document %d is not a mapping", path, i+1)
		}
		out = append(out, obj)
	}
	return out, nil
}

// loadManifests reads every Kubernetes object in deploy/*.yaml.
func loadManifests(t testing.TB) []manifest {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	var out []manifest
	for _, f := range files {
		if slices.Contains(kustomizeFiles, f) {
			continue
		}
		docs, err := readDocuments(f)
		require.NoError(t, err)
		for i, d := range docs {
			out = append(out, manifest{file: f, doc: i + 1, obj: d})
		}
	}
	require.NotEmpty(t, out, "no manifests in deploy/")
	return out
}

func testRuns(ms []manifest) []manifest {
	var out []manifest
	for _, m := range ms {
		if m.kind() == "TestRun" {
			out = append(out, m)
		}
	}
	return out
}

// ---------------------------------------------------------------- the CRD schema

// errNoCRD is returned when the CRD file is not there: CI fails on it, a local run skips the schema tests.
var errNoCRD = errors.New("the k6-operator TestRun CRD is missing")

// crdPath is where the TestRun CRD is read from: K6_OPERATOR_CRD, or the shared/ directory beside the clone.
func crdPath() (string, error) {
	p := defaultCRD
	if env := os.Getenv("K6_OPERATOR_CRD"); env != "" {
		p = env
		if !filepath.IsAbs(p) {
			p = filepath.Join("..", p)
		}
	}
	return filepath.Abs(p)
}

// crdSchemas compiles the schema of every served version of the TestRun CRD, keyed by apiVersion.
var crdSchemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	path, err := crdPath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: not at %s: put k6-operator's k6.io_testruns.yaml there (shared/k6-operator/ "+
			"beside the clone) or set K6_OPERATOR_CRD to its path (%v)", errNoCRD, path, err)
	}
	docs, err := readDocuments(path)
	if err != nil {
		return nil, err
	}
	out := map[string]*jsonschema.Schema{}
	for _, d := range docs {
		if str(d, "kind") != "CustomResourceDefinition" || str(d, "spec", "names", "kind") != "TestRun" {
			continue
		}
		group := str(d, "spec", "group")
		versions, _ := dig(d, "spec", "versions").([]any)
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			if vm["served"] != true {
				continue
			}
			apiVersion := group + "/" + str(vm, "name")
			raw := dig(vm, "schema", "openAPIV3Schema")
			if raw == nil {
				return nil, fmt.Errorf("%s: %s has no schema.openAPIV3Schema", path, apiVersion)
			}
			c := jsonschema.NewCompiler()
			// OpenAPI 3.0 schemas are an extended subset of JSON Schema draft 4 (draft-wright-00).
			c.DefaultDraft(jsonschema.Draft4)
			c.RegisterFormat(intFormat("int32", math.MinInt32, math.MaxInt32))
			c.RegisterFormat(intFormat("int64", math.MinInt64, math.MaxInt64))
			url := "https://" + group + "/schemas/testrun-" + str(vm, "name") + ".json"
			if err := c.AddResource(url, jsonSchemaFor(raw)); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, apiVersion, err)
			}
			sch, err := c.Compile(url)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, apiVersion, err)
			}
			out[apiVersion] = sch
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no served version of a TestRun CustomResourceDefinition", path)
	}
	return out, nil
})

// jsonSchemaFor turns a CRD's structural OpenAPI v3 schema into JSON Schema with the meaning the API server
// gives it:
//   - x-kubernetes-* extensions are dropped after applying what they mean: int-or-string accepts either type,
//     a "set" list has unique items, preserve-unknown-fields keeps an object open;
//   - nullable: true also accepts null;
//   - an object with properties is closed (additionalProperties: false). The API server silently prunes unknown
//     fields and kubectl's default --validate=strict rejects them: either way a misspelt field never takes
//     effect, so here it is an error.
//
// Values (enum, default, example) are copied as they are, never walked as schemas.
func jsonSchemaFor(node any) any {
	n, ok := node.(map[string]any)
	if !ok {
		return node
	}
	out := make(map[string]any, len(n)+1)
	for k, v := range n {
		switch k {
		case "properties", "patternProperties", "definitions":
			sub := map[string]any{}
			for name, s := range v.(map[string]any) {
				sub[name] = jsonSchemaFor(s)
			}
			out[k] = sub
		case "items", "additionalProperties", "not":
			out[k] = jsonSchemaFor(v)
		case "allOf", "anyOf", "oneOf":
			var list []any
			for _, s := range v.([]any) {
				list = append(list, jsonSchemaFor(s))
			}
			out[k] = list
		case "nullable":
		default:
			if !strings.HasPrefix(k, "x-kubernetes-") {
				out[k] = v
			}
		}
	}
	if n["nullable"] == true {
		if t, ok := out["type"]; ok {
			out["type"] = []any{t, "null"}
		}
		if enum, ok := out["enum"].([]any); ok {
			out["enum"] = append(slices.Clone(enum), nil)
		}
	}
	if n["x-kubernetes-int-or-string"] == true && out["anyOf"] == nil {
		delete(out, "type")
		out["anyOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
	}
	if n["x-kubernetes-list-type"] == "set" {
		out["uniqueItems"] = true
	}
	_, hasProps := n["properties"]
	_, hasExtra := n["additionalProperties"]
	if hasProps && !hasExtra && n["x-kubernetes-preserve-unknown-fields"] != true {
		out["additionalProperties"] = false
	}
	return out
}

// intFormat checks OpenAPI's integer formats, which JSON Schema does not know.
func intFormat(name string, lo, hi int64) *jsonschema.Format {
	return &jsonschema.Format{Name: name, Validate: func(v any) error {
		n, ok := v.(json.Number)
		if !ok {
			return nil
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || i < lo || i > hi {
			return fmt.Errorf("%s does not fit in %s", n, name)
		}
		return nil
	}}
}

// requireSchemas returns the CRD's schemas. Without the CRD file the test fails in CI (CI set) and is skipped
// elsewhere, so that a clone on its own can run `make test`.
func requireSchemas(t testing.TB) map[string]*jsonschema.Schema {
	t.Helper()
	schemas, err := crdSchemas()
	if errors.Is(err, errNoCRD) && os.Getenv("CI") == "" {
		path, _ := crdPath()
		t.Skipf("no TestRun CRD at %s: put k6-operator's k6.io_testruns.yaml there or set K6_OPERATOR_CRD (in CI this fails)", path)
	}
	require.NoError(t, err)
	return schemas
}

// validateTestRun checks one TestRun against the schema of its apiVersion.
func validateTestRun(t testing.TB, obj map[string]any) error {
	t.Helper()
	schemas := requireSchemas(t)
	apiVersion := str(obj, "apiVersion")
	sch, ok := schemas[apiVersion]
	if !ok {
		return fmt.Errorf("apiVersion %q is not a served version of the TestRun CRD (%v)", apiVersion, mapKeys(schemas))
	}
	return sch.Validate(obj)
}

// failedLocations lists the instance locations (JSON pointers) of a validation error and all its causes.
func failedLocations(err error) []string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		out = append(out, "/"+strings.Join(e.InstanceLocation, "/"))
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return out
}

// ---------------------------------------------------------------- house rules

// deployment is deploy/ as a whole: the rules cross-check TestRuns against the ConfigMaps, the Secret example
// and the scenarios of the repository.
type deployment struct {
	root       string
	manifests  []manifest
	configMaps map[string]map[string]string
	secrets    map[string]map[string]bool // keys of the Secrets in secret.example.yaml
	secretVars []string                   // SECRET_NAMES of scenarios/framework/config.ts
}

func loadDeployment(t testing.TB) *deployment {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	d := &deployment{root: root, manifests: loadManifests(t), configMaps: map[string]map[string]string{},
		secrets: map[string]map[string]bool{}}
	for _, m := range d.manifests {
		switch {
		case m.kind() == "ConfigMap":
			data := map[string]string{}
			for k, v := range mapAt(m.obj, "data") {
				s, _ := v.(string)
				data[k] = s
			}
			d.configMaps[m.name()] = data
		case m.kind() == "Secret" && m.file == secretExample:
			keys := map[string]bool{}
			for k := range mapAt(m.obj, "stringData") {
				keys[k] = true
			}
			for k := range mapAt(m.obj, "data") {
				keys[k] = true
			}
			d.secrets[m.name()] = keys
		}
	}
	d.secretVars = scenarioSecretVariables(t, root)
	return d
}

var (
	secretNamesList = regexp.MustCompile(`(?s)const SECRET_NAMES\s*=\s*\[(.*?)\];`)
	quotedName      = regexp.MustCompile(`"([A-Z0-9_]+)"`)
)

// scenarioSecretVariables reads the variables the scenarios treat as secret from the framework's one list of them
// (scenarios/framework/config.ts: SECRET_NAMES; declaring a secret variable that is not in it fails at init), so
// the rule cannot drift from them.
func scenarioSecretVariables(t testing.TB, root string) []string {
	t.Helper()
	const decl = "scenarios/framework/config.ts"
	src, err := os.ReadFile(filepath.Join(root, decl))
	require.NoError(t, err)
	m := secretNamesList.FindSubmatch(src)
	require.NotNil(t, m, "%s: no SECRET_NAMES list", decl)
	var out []string
	for _, n := range quotedName.FindAllSubmatch(m[1], -1) {
		out = append(out, string(n[1]))
	}
	require.NotEmpty(t, out, "%s: no variable is declared secret", decl)
	return out
}

// secretWord matches names that hold credentials by convention (API_KEY, K6_PROMETHEUS_RW_PASSWORD,
// ADMIN_DATABASE_URL, ADMIN_SESSION, …). SESSION counts only as the last word: SESSION_PER_VU is a flag.
var secretWord = regexp.MustCompile(`(^|_)(KEY|SECRET|PASSWORD|TOKEN|CREDENTIALS?|DATABASE_URL)S?($|_)|(^|_)SESSION$`)

func (d *deployment) secretNamed(name string) bool {
	return slices.Contains(d.secretVars, name) || secretWord.MatchString(name)
}

// container is anything with an image and an environment: a TestRun's runner, initializer and starter (and
// their initContainers), a Job's containers.
type container struct {
	where string
	spec  map[string]any
	// imageOptional: the operator fills the image in (the initializer copies the runner's).
	imageOptional bool
}

func containersOf(m manifest) []container {
	var out []container
	addList := func(prefix string, list any) {
		items, _ := list.([]any)
		for i, c := range items {
			if cm, ok := c.(map[string]any); ok {
				out = append(out, container{where: fmt.Sprintf("%s[%d]", prefix, i), spec: cm})
			}
		}
	}
	switch m.kind() {
	case "TestRun":
		for _, pod := range []string{"runner", "initializer", "starter"} {
			p, ok := dig(m.obj, "spec", pod).(map[string]any)
			if !ok {
				continue
			}
			out = append(out, container{where: "spec." + pod, spec: p, imageOptional: pod == "initializer"})
			addList("spec."+pod+".initContainers", p["initContainers"])
		}
	case "Job":
		addList("spec.template.spec.initContainers", dig(m.obj, "spec", "template", "spec", "initContainers"))
		addList("spec.template.spec.containers", dig(m.obj, "spec", "template", "spec", "containers"))
	}
	return out
}

var (
	dnsLabel   = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	scriptPath = regexp.MustCompile(regexp.QuoteMeta(scriptDir) + `([A-Za-z0-9_]+)\.js`)
)

// problems lists every house-rule violation in deploy/.
func (d *deployment) problems() []string {
	var out []string
	ownTags := map[string]bool{}
	for _, m := range d.manifests {
		report := func(format string, args ...any) { out = append(out, m.String()+": "+fmt.Sprintf(format, args...)) }
		if str(m.obj, "apiVersion") == "" || m.kind() == "" || m.name() == "" {
			report("apiVersion, kind and metadata.name are required")
			continue
		}
		if m.kind() != "Namespace" && str(m.obj, "metadata", "namespace") != namespace {
			report("metadata.namespace is %q, want %q", str(m.obj, "metadata", "namespace"), namespace)
		}
		switch m.kind() {
		case "TestRun":
			d.checkTestRun(m, report)
		case "ConfigMap":
			for k := range d.configMaps[m.name()] {
				if d.secretNamed(k) {
					report("data.%s: a secret in a ConfigMap; put it in the Secret", k)
				}
			}
		}
		for _, c := range containersOf(m) {
			if tag := d.checkContainer(c, report); tag != "" {
				ownTags[tag] = true
			}
		}
	}
	if len(ownTags) > 1 {
		out = append(out, fmt.Sprintf("%s is used with several tags %v: every step must test the same build",
			ownImage, mapKeys(ownTags)))
	}
	return out
}

// checkContainer applies the rules for images, secrets and references; it returns the tag of ownImage, if used.
func (d *deployment) checkContainer(c container, report func(string, ...any)) (ownTag string) {
	image, _ := c.spec["image"].(string)
	switch {
	case image == "" && c.imageOptional:
	case image == "":
		report("%s.image: unset, so the operator picks a moving default image", c.where)
	default:
		repo, tag, problem := imageTag(image)
		if problem != "" {
			report("%s.image %q: %s", c.where, image, problem)
		}
		if repo == ownImage {
			ownTag = tag
		}
	}

	envs, _ := c.spec["env"].([]any)
	for i, e := range envs {
		em, _ := e.(map[string]any)
		name := str(em, "name")
		where := fmt.Sprintf("%s.env[%d] %s", c.where, i, name)
		from, _ := em["valueFrom"].(map[string]any)
		// An empty literal is allowed: it blanks a secret that envFrom would otherwise bring in.
		if d.secretNamed(name) && dig(from, "secretKeyRef") == nil {
			if v, _ := em["value"].(string); v != "" || from != nil {
				report("%s: a secret must come from a Secret (valueFrom.secretKeyRef or envFrom.secretRef)", where)
			}
		}
		if ref := mapAt(from, "configMapKeyRef"); ref != nil {
			d.checkConfigMapRef(where, ref, str(ref, "key"), report)
		}
		if ref := mapAt(from, "secretKeyRef"); ref != nil {
			d.checkSecretRef(where, ref, str(ref, "key"), report)
		}
	}
	froms, _ := c.spec["envFrom"].([]any)
	for i, f := range froms {
		fm, _ := f.(map[string]any)
		where := fmt.Sprintf("%s.envFrom[%d]", c.where, i)
		if ref := mapAt(fm, "configMapRef"); ref != nil {
			d.checkConfigMapRef(where, ref, "", report)
		}
		if ref := mapAt(fm, "secretRef"); ref != nil {
			d.checkSecretRef(where, ref, "", report)
		}
	}

	for _, s := range stringsIn(c.spec["command"], c.spec["args"]) {
		for _, m := range scriptPath.FindAllStringSubmatch(s, -1) {
			d.checkScenario(c.where, m[1], report)
		}
	}
	return ownTag
}

func (d *deployment) checkConfigMapRef(where string, ref map[string]any, key string, report func(string, ...any)) {
	if ref["optional"] == true {
		return
	}
	name := str(ref, "name")
	data, ok := d.configMaps[name]
	switch {
	case !ok:
		report("%s: ConfigMap %q is not in deploy/", where, name)
	case key != "":
		if _, ok := data[key]; !ok {
			report("%s: ConfigMap %q has no key %q: the pod would not start", where, name, key)
		}
	}
}

func (d *deployment) checkSecretRef(where string, ref map[string]any, key string, report func(string, ...any)) {
	name := str(ref, "name")
	optional := ref["optional"] == true
	if name == provisionedSecret {
		if !optional {
			report("%s: Secret %q exists only after provisioning: mark the reference optional", where, name)
		}
		return
	}
	keys, ok := d.secrets[name]
	switch {
	case !ok:
		report("%s: Secret %q is not described in %s", where, name, secretExample)
	case key != "" && !keys[key] && !optional:
		report("%s: Secret %q has no key %q in %s: the pod would not start", where, name, key, secretExample)
	}
}

func (d *deployment) checkScenario(where, name string, report func(string, ...any)) {
	if _, err := os.Stat(filepath.Join(d.root, "scenarios", name+".ts")); err != nil {
		report("%s: %s%s.js is bundled from scenarios/%s.ts, which does not exist", where, scriptDir, name, name)
	}
}

func (d *deployment) checkTestRun(m manifest, report func(string, ...any)) {
	name := m.name()
	// The operator derives <name>-initializer, <name>-starter and <name>-service-<n> from it.
	if !dnsLabel.MatchString(name) || len(name) > 63-len("-initializer") {
		report("metadata.name %q: use a short DNS label", name)
	}
	spec := mapAt(m.obj, "spec")

	component := str(m.obj, "metadata", "labels", "app.kubernetes.io/component")
	parallelism, ok := intValue(spec["parallelism"])
	switch {
	case !ok:
		report("spec.parallelism is not an integer")
	case component == "load" && parallelism < 2:
		report("spec.parallelism is %d: a load TestRun runs on at least 2 instances", parallelism)
	case component != "load" && component != "invariant":
		report("label app.kubernetes.io/component is %q, want load or invariant", component)
	}

	script := mapAt(spec, "script")
	local := str(script, "localFile")
	scenario := strings.TrimSuffix(strings.TrimPrefix(local, scriptDir), ".js")
	switch {
	case script["configMap"] != nil || script["volumeClaim"] != nil:
		report("spec.script: use localFile, the bundled script in the image")
	case !strings.HasPrefix(local, scriptDir) || !strings.HasSuffix(local, ".js") || strings.Contains(scenario, "/"):
		report("spec.script.localFile %q is not %s<scenario>.js", local, scriptDir)
	default:
		d.checkScenario("spec.script.localFile", scenario, report)
	}

	if _, ok := spec["arguments"]; ok {
		report("spec.arguments goes through a shell; use spec.args (exact argv)")
	}
	args := stringsIn(spec["args"])
	if !hasTag(args, "testid") {
		report("spec.args: no --tag testid=…, so this run's metrics cannot be told from the previous one's")
	}
	for i, a := range args {
		kv, ok := strings.CutPrefix(a, "--env=")
		if !ok && (a == "-e" || a == "--env") && i+1 < len(args) {
			kv, ok = args[i+1], true
		}
		if n, _, _ := strings.Cut(kv, "="); ok && d.secretNamed(n) {
			report("spec.args: %s passed on the command line; it must come from a Secret", n)
		}
	}

	runner := mapAt(spec, "runner")
	if froms, _ := runner["envFrom"].([]any); len(froms) > 0 && !slices.Contains(args, "--include-system-env-vars") {
		report("spec.args: without --include-system-env-vars the initializer's k6 archive does not see envFrom, " +
			"and checks the script with other settings than the runners use")
	}
	if hasOutput(args, "experimental-prometheus-rw") && d.literalEnv(runner, "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM") != "true" {
		report("spec.runner.env: K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM must be \"true\": per-instance " +
			"percentile gauges cannot be combined across instances")
	}

	if variable, ok := vusVariable[scenario]; ok && parallelism > 0 {
		value, found := d.resolveEnv(runner, variable)
		vus, err := strconv.Atoi(value)
		switch {
		case !found:
			report("spec.runner: %s is not set, so the VU count is the scenario's default", variable)
		case err != nil:
			report("spec.runner: %s=%q is not a number", variable, value)
		case int64(vus) < parallelism:
			report("spec.parallelism %d exceeds %s=%d: the operator refuses more instances than VUs",
				parallelism, variable, vus)
		}
	}
}

// literalEnv is the literal value of a pod's env entry (not valueFrom), "" when absent.
func (d *deployment) literalEnv(pod map[string]any, name string) string {
	envs, _ := pod["env"].([]any)
	for _, e := range envs {
		em, _ := e.(map[string]any)
		if str(em, "name") == name {
			v, _ := em["value"].(string)
			return v
		}
	}
	return ""
}

// resolveEnv finds a variable's value as Kubernetes would: env (literal or configMapKeyRef) over envFrom
// ConfigMaps, later envFrom sources over earlier ones.
func (d *deployment) resolveEnv(pod map[string]any, name string) (string, bool) {
	envs, _ := pod["env"].([]any)
	for _, e := range envs {
		em, _ := e.(map[string]any)
		if str(em, "name") != name {
			continue
		}
		if ref := mapAt(mapAt(em, "valueFrom"), "configMapKeyRef"); ref != nil {
			v, ok := d.configMaps[str(ref, "name")][str(ref, "key")]
			return v, ok
		}
		v, _ := em["value"].(string)
		return v, true
	}
	froms, _ := pod["envFrom"].([]any)
	value, found := "", false
	for _, f := range froms {
		fm, _ := f.(map[string]any)
		if ref := mapAt(fm, "configMapRef"); ref != nil {
			if v, ok := d.configMaps[str(ref, "name")][name]; ok {
				value, found = v, true
			}
		}
	}
	return value, found
}

// imageTag splits an image reference and says what is wrong with its tag, if anything.
func imageTag(ref string) (repo, tag, problem string) {
	name, digest, pinned := strings.Cut(ref, "@")
	repo = name
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		repo, tag = name[:i], name[i+1:]
	}
	switch {
	case tag == "" && !pinned:
		return repo, tag, "no tag, which means latest"
	case strings.HasPrefix(tag, "latest"):
		return repo, tag, "a moving latest tag; pin a version"
	case pinned && !strings.HasPrefix(digest, "sha256:"):
		return repo, tag, "malformed digest"
	}
	return repo, tag, ""
}

func hasTag(args []string, tag string) bool {
	for i, a := range args {
		v, ok := strings.CutPrefix(a, "--tag=")
		if !ok && a == "--tag" && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok && strings.HasPrefix(v, tag+"=") && len(v) > len(tag)+1 {
			return true
		}
	}
	return false
}

func hasOutput(args []string, output string) bool {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--out="); ok && strings.HasPrefix(v, output) {
			return true
		}
		if (a == "--out" || a == "-o") && i+1 < len(args) && strings.HasPrefix(args[i+1], output) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- tests

func TestTestRunsMatchCRDSchema(t *testing.T) {
	requireSchemas(t)
	runs := testRuns(loadManifests(t))
	require.GreaterOrEqual(t, len(runs), 2, "deploy/ should hold the main TestRun and at least one variant")
	for _, m := range runs {
		t.Run(m.String(), func(t *testing.T) {
			if err := validateTestRun(t, m.obj); err != nil {
				t.Errorf("does not match the TestRun CRD schema:\n%v", err)
			}
		})
	}
}

func TestSchemaRejectsBrokenTestRuns(t *testing.T) {
	base := findManifest(t, loadManifests(t), "TestRun", "ingest-load")
	require.NoError(t, validateTestRun(t, base.obj), "the unbroken TestRun must pass for this test to mean anything")

	cases := []struct {
		name   string
		mutate func(tr map[string]any)
		at     string // instance location of the error
	}{
		{"parallelism as a string", func(tr map[string]any) { set(tr, "4", "spec", "parallelism") }, "/spec/parallelism"},
		{"parallelism beyond int32", func(tr map[string]any) { set(tr, json.Number("3000000000"), "spec", "parallelism") }, "/spec/parallelism"},
		{"missing required script", func(tr map[string]any) { delete(mapAt(tr, "spec"), "script") }, "/spec"},
		{"misspelt field under spec", func(tr map[string]any) { set(tr, json.Number("4"), "spec", "paralellism") }, "/spec"},
		{"cleanup outside its enum", func(tr map[string]any) { set(tr, "always", "spec", "cleanup") }, "/spec/cleanup"},
		{"args as one string", func(tr map[string]any) { set(tr, "--tag testid=x", "spec", "args") }, "/spec/args"},
		{"resource quantity that is not one", func(tr map[string]any) {
			set(tr, "1 GB", "spec", "runner", "resources", "limits", "memory")
		}, "/spec/runner/resources/limits/memory"},
		{"env entry without a name", func(tr map[string]any) {
			set(tr, []any{map[string]any{"value": "x"}}, "spec", "runner", "env")
		}, "/spec/runner/env/0"},
		{"secretKeyRef without a key", func(tr map[string]any) {
			set(tr, []any{map[string]any{"name": "API_KEY", "valueFrom": map[string]any{
				"secretKeyRef": map[string]any{"name": "valora-k6"}}}}, "spec", "runner", "env")
		}, "/spec/runner/env/0/valueFrom/secretKeyRef"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := deepCopy(t, base.obj)
			tc.mutate(tr)
			err := validateTestRun(t, tr)
			require.Error(t, err, "the validator accepted a broken TestRun")
			assert.Contains(t, failedLocations(err), tc.at, "error: %v", err)
		})
	}
}

func TestJSONSchemaForKubernetesExtensions(t *testing.T) {
	got := jsonSchemaFor(map[string]any{
		"type": "object",
		"properties": map[string]any{
			"quantity": map[string]any{"x-kubernetes-int-or-string": true},
			"note":     map[string]any{"type": "string", "nullable": true, "default": map[string]any{"properties": "kept"}},
			"tags":     map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "x-kubernetes-list-type": "set"},
			"free":     map[string]any{"type": "object", "properties": map[string]any{}, "x-kubernetes-preserve-unknown-fields": true},
			"labels":   map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
		},
	})
	want := map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"quantity": map[string]any{"anyOf": []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}},
			"note":     map[string]any{"type": []any{"string", "null"}, "default": map[string]any{"properties": "kept"}},
			"tags":     map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "uniqueItems": true},
			"free":     map[string]any{"type": "object", "properties": map[string]any{}},
			"labels":   map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
		},
	}
	assert.Equal(t, want, got)
}

func TestHouseRules(t *testing.T) {
	d := loadDeployment(t)
	for _, p := range d.problems() {
		t.Error(p)
	}
}

func TestHouseRulesCatchViolations(t *testing.T) {
	d := loadDeployment(t)
	require.Empty(t, d.problems(), "deploy/ must pass the house rules for this test to mean anything")
	idx := slices.IndexFunc(d.manifests, func(m manifest) bool { return m.kind() == "TestRun" && m.name() == "ingest-load" })
	require.GreaterOrEqual(t, idx, 0, "no TestRun ingest-load")

	appendEnv := func(tr map[string]any, e map[string]any) {
		envs, _ := dig(tr, "spec", "runner", "env").([]any)
		set(tr, append(envs, e), "spec", "runner", "env")
	}
	dropArg := func(tr map[string]any, drop ...string) {
		args := stringsIn(dig(tr, "spec", "args"))
		var out []any
		for _, a := range args {
			if !slices.Contains(drop, a) {
				out = append(out, a)
			}
		}
		set(tr, out, "spec", "args")
	}
	cases := []struct {
		name   string
		mutate func(tr map[string]any)
		want   string
	}{
		{"literal API key in env", func(tr map[string]any) {
			appendEnv(tr, map[string]any{"name": "API_KEY", "value": "vk_live_key_1234"})
		}, "API_KEY: a secret must come from a Secret"},
		{"secret read from a ConfigMap", func(tr map[string]any) {
			appendEnv(tr, map[string]any{"name": "ADMIN_DATABASE_URL", "valueFrom": map[string]any{
				"configMapKeyRef": map[string]any{"name": "valora-k6-config", "key": "BASE_URL"}}})
		}, "ADMIN_DATABASE_URL: a secret must come from a Secret"},
		{"secret on the command line", func(tr map[string]any) {
			set(tr, append(dig(tr, "spec", "args").([]any), "-e", "WEBHOOK_SECRET=whsec_x"), "spec", "args")
		}, "WEBHOOK_SECRET passed on the command line"},
		{"latest image", func(tr map[string]any) { set(tr, ownImage+":latest", "spec", "runner", "image") }, "latest"},
		{"untagged image", func(tr map[string]any) { set(tr, ownImage, "spec", "runner", "image") }, "no tag"},
		{"unpinned starter", func(tr map[string]any) { delete(mapAt(tr, "spec", "starter"), "image") }, "spec.starter.image: unset"},
		{"one instance for a load test", func(tr map[string]any) { set(tr, json.Number("1"), "spec", "parallelism") }, "at least 2 instances"},
		{"more instances than VUs", func(tr map[string]any) { set(tr, json.Number("64"), "spec", "parallelism") }, "exceeds INGEST_VUS=20"},
		{"script the repository does not have", func(tr map[string]any) {
			set(tr, scriptDir+"no_such_scenario.js", "spec", "script", "localFile")
		}, "scenarios/no_such_scenario.ts, which does not exist"},
		{"script from a ConfigMap", func(tr map[string]any) {
			set(tr, map[string]any{"configMap": map[string]any{"name": "scripts"}}, "spec", "script")
		}, "use localFile"},
		{"missing Secret key", func(tr map[string]any) {
			appendEnv(tr, map[string]any{"name": "ADMIN_PASSWORD", "valueFrom": map[string]any{
				"secretKeyRef": map[string]any{"name": "valora-k6", "key": "NO_SUCH_KEY"}}})
		}, `has no key "NO_SUCH_KEY"`},
		{"provisioned Secret required", func(tr map[string]any) {
			for _, f := range dig(tr, "spec", "runner", "envFrom").([]any) {
				if ref := mapAt(f, "secretRef"); str(ref, "name") == provisionedSecret {
					ref["optional"] = false
				}
			}
		}, "exists only after provisioning"},
		{"initializer blind to envFrom", func(tr map[string]any) { dropArg(tr, "--include-system-env-vars") }, "--include-system-env-vars"},
		{"percentiles that cannot be merged", func(tr map[string]any) { set(tr, []any{}, "spec", "runner", "env") }, "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM"},
		{"no testid tag", func(tr map[string]any) { dropArg(tr, "--tag", "testid=ingest-load-1") }, "testid"},
		{"shell-split arguments", func(tr map[string]any) { set(tr, "--tag testid=x", "spec", "arguments") }, "spec.arguments"},
		{"another namespace", func(tr map[string]any) { set(tr, "default", "metadata", "namespace") }, "metadata.namespace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			broken := *d
			broken.manifests = slices.Clone(d.manifests)
			m := broken.manifests[idx]
			m.obj = deepCopy(t, m.obj)
			tc.mutate(m.obj)
			broken.manifests[idx] = m
			problems := broken.problems()
			require.NotEmpty(t, problems, "the rules accepted a broken TestRun")
			assert.True(t, slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }),
				"no problem mentions %q; got:\n%s", tc.want, strings.Join(problems, "\n"))
		})
	}
}

func TestSecretNames(t *testing.T) {
	d := loadDeployment(t)
	for _, name := range []string{"API_KEY", "WEBHOOK_SECRET", "ADMIN_PASSWORD", "ADMIN_SESSION", "ADMIN_DATABASE_URL",
		"ADYEN_HMAC_KEY", "WEBHOOK_HEADERS", "K6_PROMETHEUS_RW_PASSWORD", "K6_PROMETHEUS_RW_BEARER_TOKEN"} {
		assert.True(t, d.secretNamed(name), "%s should count as a secret", name)
	}
	for _, name := range []string{"SESSION_PER_VU", "BASE_URL", "METER_CODE", "CUSTOMER_ID", "INGEST_VUS",
		"K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM", "PROVISION_ENV_FILE"} {
		assert.False(t, d.secretNamed(name), "%s should not count as a secret", name)
	}
}

func TestSecretExampleHoldsPlaceholdersOnly(t *testing.T) {
	docs, err := readDocuments(secretExample)
	require.NoError(t, err)
	require.NotEmpty(t, docs)
	for _, doc := range docs {
		require.Equal(t, "Secret", str(doc, "kind"))
		assert.Nil(t, doc["data"], "%s: use stringData with placeholders", secretExample)
		for k, v := range mapAt(doc, "stringData") {
			s, _ := v.(string)
			assert.True(t, strings.HasPrefix(s, "change-me"), "%s: %s must be a change-me placeholder", secretExample, k)
		}
	}
}

func TestKustomization(t *testing.T) {
	docs, err := readDocuments("kustomization.yaml")
	require.NoError(t, err)
	require.Len(t, docs, 1)
	k := docs[0]
	assert.Equal(t, namespace, str(k, "namespace"))

	resources := stringsIn(k["resources"])
	for _, r := range resources {
		assert.FileExists(t, r)
	}
	assert.NotContains(t, resources, secretExample, "applying the example would overwrite the real Secret with placeholders")
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		if f != secretExample && !slices.Contains(kustomizeFiles, f) {
			assert.Contains(t, resources, f, "kustomization.yaml does not list %s", f)
		}
	}
	for _, c := range stringsIn(k["configurations"]) {
		assert.FileExists(t, c)
	}
	images, _ := k["images"].([]any)
	require.NotEmpty(t, images)
	img := images[0].(map[string]any)
	require.Equal(t, ownImage, str(img, "name"))
	// The files carry the same tag, so applying one of them with kubectl -f tests the same build.
	for _, m := range loadManifests(t) {
		for _, c := range containersOf(m) {
			if repo, tag, _ := imageTag(str(c.spec, "image")); repo == ownImage {
				assert.Equal(t, str(img, "newTag"), tag, "%s %s", m, c.where)
			}
		}
	}
}

// ---------------------------------------------------------------- helpers

func findManifest(t testing.TB, ms []manifest, kind, name string) manifest {
	t.Helper()
	for _, m := range ms {
		if m.kind() == kind && m.name() == name {
			return m
		}
	}
	t.Fatalf("no %s %s in deploy/", kind, name)
	return manifest{}
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := dig(v, path...).(string)
	return s
}

func mapAt(v any, path ...string) map[string]any {
	m, _ := dig(v, path...).(map[string]any)
	return m
}

// set stores value at path, creating the maps on the way.
func set(obj map[string]any, value any, path ...string) {
	for _, p := range path[:len(path)-1] {
		next, ok := obj[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[p] = next
		}
		obj = next
	}
	obj[path[len(path)-1]] = value
}

func intValue(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// stringsIn flattens strings and lists of strings.
func stringsIn(vs ...any) []string {
	var out []string
	for _, v := range vs {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				if s, ok := e.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func deepCopy(t testing.TB, obj map[string]any) map[string]any {
	t.Helper()
	j, err := json.Marshal(obj)
	require.NoError(t, err)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	require.NoError(t, err)
	return v.(map[string]any)
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
