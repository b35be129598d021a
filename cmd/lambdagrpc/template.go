package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// The values a template's pseudo-parameters take: the emulator's region and
// account, and a stack of its own.
const (
	templateRegion    = "us-east-1"
	templateAccount   = "123456789012"
	templateStackName = "lambdagrpc-local"
)

// Resource types a template's functions are read from.
const (
	typeServerlessFunction = "AWS::Serverless::Function"
	typeServerlessAPI      = "AWS::Serverless::Api"
	typeServerlessHTTPAPI  = "AWS::Serverless::HttpApi"
	typeLambdaFunction     = "AWS::Lambda::Function"
	typeLambdaURL          = "AWS::Lambda::Url"
	typeSQSQueue           = "AWS::SQS::Queue"
)

// The logical ids of the APIs SAM creates for events that name none.
const (
	implicitRestAPI = "ServerlessRestApi"
	implicitHTTPAPI = "ServerlessHttpApi"
)

// samTemplate is what a SAM or CloudFormation template describes that the
// emulator runs.
type samTemplate struct {
	// Functions are sorted by logical id.
	Functions []*samFunction
	// Notes say what the template holds that the emulator does not apply.
	Notes []string
}

// samFunction is one function of a template.
type samFunction struct {
	LogicalID string
	Type      string
	// Name is FunctionName, or the logical id.
	Name string
	// Code is the absolute path of CodeUri (or Code): a Go package folder,
	// a folder holding a built bootstrap, a zip or a bootstrap binary.
	Code string
	// Arch is x86_64 or arm64.
	Arch     string
	MemoryMB int
	Timeout  time.Duration
	Reserved int
	Env      map[string]string
	// URL is the function's Function URL; nil when the template gives it
	// none.
	URL *samURL
	// URLID is the logical id of the URL's resource (<Function>Url for a
	// FunctionUrlConfig), and URLReferenced whether Environment.Variables
	// of a function take its address with Fn::GetAtt, as urlMarker.
	URLID         string
	URLReferenced bool
	// Doors are its API Gateway front doors, one per API it is attached to.
	Doors []*samDoor
	// Queues are its SQS events, each an event-source mapping.
	Queues []samQueue
}

// samQueue is an SQS event of a function.
type samQueue struct {
	Event string
	// Queue is the event's Queue: an ARN, as SAM takes it, or a URL.
	Queue          string
	BatchSize      int
	Window         time.Duration
	ReportFailures bool
}

// InvokeMode is the mode the function streams or buffers its responses in:
// its Function URL's, else BUFFERED.
func (f *samFunction) InvokeMode() emulator.InvokeMode {
	if f.URL != nil {
		return f.URL.InvokeMode
	}
	return emulator.Buffered
}

// samURL is a Function URL: FunctionUrlConfig or an AWS::Lambda::Url.
type samURL struct {
	// From names where the template declares it.
	From       string
	AuthType   string
	InvokeMode emulator.InvokeMode
	CORS       *emulator.CORS
}

// samDoor is an API a function's events attach it to.
type samDoor struct {
	API    string // the API's logical id (ServerlessRestApi, ServerlessHttpApi for SAM's own)
	Kind   emulator.FrontDoorKind
	Stage  string
	Routes []samRoute
}

// samRoute is one event of a door.
type samRoute struct {
	Event, Method, Path string
}

// rawResource is a template resource before its intrinsics are resolved.
type rawResource struct {
	Type       string
	Properties map[string]any
	Condition  string
}

// templateParam is a template parameter and the value Ref gives it.
type templateParam struct {
	Type    string
	Allowed []any // AllowedValues
	Value   any   // nil: no Default and no --parameter
}

// goformationYAML guards goformation's YAML reader, which registers its
// tag handlers in a package map on every call.
var goformationYAML sync.Mutex

// readTemplateDoc reads a template as JSON values, its intrinsics in their
// long form (a YAML !Ref becomes {"Ref": …}) and not yet resolved.
func readTemplateDoc(path string, data []byte) (map[string]any, error) {
	opts := &intrinsics.ProcessorOptions{NoProcess: true}
	var (
		out []byte
		err error
	)
	if strings.EqualFold(filepath.Ext(path), ".json") {
		out, err = intrinsics.ProcessJSON(data, opts)
	} else {
		goformationYAML.Lock()
		out, err = intrinsics.ProcessYAML(data, opts)
		goformationYAML.Unlock()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil || doc == nil {
		return nil, fmt.Errorf("%s: not a template (a mapping with Resources)", path)
	}
	return doc, nil
}

// loadTemplate reads the template at path. params are --parameter values.
func loadTemplate(path string, params map[string]string) (*samTemplate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return parseTemplate(path, filepath.Dir(abs), data, params)
}

// parseTemplate reads a template's functions. dir is the folder CodeUri
// paths are relative to.
func parseTemplate(path, dir string, data []byte, params map[string]string) (*samTemplate, error) {
	doc, err := readTemplateDoc(path, data)
	if err != nil {
		return nil, err
	}
	r := &resolver{file: path, params: map[string]*templateParam{}, resources: map[string]*rawResource{}, naming: map[string]bool{}}
	if err := r.readParams(doc, params); err != nil {
		return nil, err
	}
	resources, _ := doc["Resources"].(map[string]any)
	if len(resources) == 0 {
		return nil, fmt.Errorf("%s: no Resources", path)
	}
	for id, v := range resources {
		m, _ := v.(map[string]any)
		typ, _ := m["Type"].(string)
		if typ == "" {
			return nil, fmt.Errorf("%s: resource %s has no Type", path, id)
		}
		props, _ := m["Properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
		}
		cond, _ := m["Condition"].(string)
		r.resources[id] = &rawResource{Type: typ, Properties: props, Condition: cond}
	}
	t := &samTemplate{}
	if err := r.applyGlobals(doc, t); err != nil {
		return nil, err
	}
	r.addImplicit()
	ids := make([]string, 0, len(r.resources))
	for id := range r.resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	byID := map[string]*samFunction{}
	var skipped []string
	for _, id := range ids {
		res := r.resources[id]
		var fn *samFunction
		switch res.Type {
		case typeServerlessFunction:
			fn, err = r.serverlessFunction(id, res, dir, t)
		case typeLambdaFunction:
			fn, err = r.lambdaFunction(id, res, dir, t)
		case typeLambdaURL, typeServerlessAPI, typeServerlessHTTPAPI:
			continue // read with the functions
		default:
			if !r.implicit(id) {
				skipped = append(skipped, id+" ("+res.Type+")")
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if res.Condition != "" {
			t.Notes = append(t.Notes, fmt.Sprintf("resource %s: Condition %s is not evaluated: the function runs", id, res.Condition))
		}
		t.Functions = append(t.Functions, fn)
		byID[id] = fn
	}
	if len(t.Functions) == 0 {
		return nil, fmt.Errorf("%s: no %s or %s resources", path, typeServerlessFunction, typeLambdaFunction)
	}
	names := map[string]string{}
	for _, fn := range t.Functions {
		if other, dup := names[fn.Name]; dup {
			return nil, fmt.Errorf("%s: resources %s and %s are both named %q", path, other, fn.LogicalID, fn.Name)
		}
		names[fn.Name] = fn.LogicalID
	}
	for _, id := range ids {
		res := r.resources[id]
		switch {
		case res.Type == typeLambdaURL && !r.implicit(id):
			if err := r.lambdaURL(id, res, byID, t); err != nil {
				return nil, err
			}
		case (res.Type == typeServerlessAPI || res.Type == typeServerlessHTTPAPI) && !r.implicit(id):
			unapplied(t, id, res.Properties, []string{"StageName"})
			if !r.apiUsed[id] {
				t.Notes = append(t.Notes, fmt.Sprintf("resource %s (%s): no function has an event on it", id, res.Type))
			}
		}
	}
	if err := linkURLs(r.file, t); err != nil {
		return nil, err
	}
	for _, fn := range t.Functions {
		if err := checkInvokeModeEnv(r.file, fn, t); err != nil {
			return nil, err
		}
		if fn.InvokeMode() == emulator.ResponseStream {
			for _, d := range fn.Doors {
				t.Notes = append(t.Notes, fmt.Sprintf("function %s streams its responses (Function URL InvokeMode RESPONSE_STREAM), which its %s event %s cannot take: lambdagrpc answers events from the API's own execute-api domain buffered, but behind a custom domain it cannot tell them from Function URL events; give the API a function of its own in BUFFERED mode", fn.LogicalID, d.Kind, d.Routes[0].Event))
			}
		}
	}
	if len(skipped) > 0 {
		t.Notes = append(t.Notes, "resources the emulator does not run: "+strings.Join(skipped, ", "))
	}
	return t, nil
}

// linkURLs finds the functions whose Function URL an environment variable
// takes with Fn::GetAtt.
func linkURLs(file string, t *samTemplate) error {
	for _, fn := range t.Functions {
		for k, v := range fn.Env {
			for _, m := range urlMarkerRE.FindAllStringSubmatch(v, -1) {
				i := slices.IndexFunc(t.Functions, func(f *samFunction) bool { return f.URLID == m[1] })
				if i < 0 {
					return fmt.Errorf("%s: resource %s, property Environment.Variables.%s: !GetAtt %s.FunctionUrl: not the Function URL of a function of the template", file, fn.LogicalID, k, m[1])
				}
				t.Functions[i].URLReferenced = true
			}
		}
	}
	return nil
}

// withURLs replaces the urlMarkers of s with the URLs they stand for.
func withURLs(s string, urls map[string]string) string {
	return urlMarkerRE.ReplaceAllStringFunc(s, func(m string) string {
		return urls[urlMarkerRE.FindStringSubmatch(m)[1]]
	})
}

// checkInvokeModeEnv checks that a LAMBDAGRPC_INVOKE_MODE the template
// sets agrees with the function's invoke mode, and notes that the emulator
// sets it (as emulate does for --invoke-mode) when the template streams
// without it.
func checkInvokeModeEnv(file string, fn *samFunction, t *samTemplate) error {
	v, ok := fn.Env["LAMBDAGRPC_INVOKE_MODE"]
	if !ok {
		if fn.InvokeMode() == emulator.ResponseStream {
			t.Notes = append(t.Notes, fmt.Sprintf("resource %s: the emulator sets LAMBDAGRPC_INVOKE_MODE=RESPONSE_STREAM for its Function URL's invoke mode; set it in Environment.Variables too, or the deployed function buffers its responses (unless its code gives lambdagrpc.WithInvokeMode)", fn.LogicalID))
		}
		return nil
	}
	mode := emulator.InvokeMode(strings.ToUpper(v))
	if mode == "STREAM" {
		mode = emulator.ResponseStream
	}
	if mode != fn.InvokeMode() {
		return fmt.Errorf("%s: resource %s, property Environment.Variables.LAMBDAGRPC_INVOKE_MODE: %q, but the function's invoke mode is %s (its Function URL's InvokeMode, BUFFERED without one): its calls would fail", file, fn.LogicalID, v, fn.InvokeMode())
	}
	return nil
}

// readParams reads the Parameters section and applies --parameter values.
func (r *resolver) readParams(doc map[string]any, overrides map[string]string) error {
	params, _ := doc["Parameters"].(map[string]any)
	for name, v := range params {
		m, _ := v.(map[string]any)
		p := &templateParam{}
		p.Type, _ = m["Type"].(string)
		p.Allowed, _ = m["AllowedValues"].([]any)
		if def, ok := m["Default"]; ok {
			p.Value = scalarString(def)
		}
		r.params[name] = p
	}
	for name, v := range overrides {
		p, ok := r.params[name]
		if !ok {
			return fmt.Errorf("--parameter %s: the template has no parameter %s", name, name)
		}
		p.Value = v
	}
	for name, p := range r.params {
		if p.Value != nil && len(p.Allowed) > 0 && !slices.ContainsFunc(p.Allowed, func(a any) bool { return scalarString(a) == p.Value }) {
			return fmt.Errorf("%s: parameter %s: %q is not one of its AllowedValues", r.file, name, p.Value)
		}
		if s, ok := p.Value.(string); ok && (p.Type == "CommaDelimitedList" || strings.HasPrefix(p.Type, "List<")) {
			var list []any
			for _, e := range strings.Split(s, ",") {
				list = append(list, strings.TrimSpace(e))
			}
			p.Value = list
		}
	}
	return nil
}

// scalarString is a parameter value as CloudFormation passes it: a string.
func scalarString(v any) any {
	switch v := v.(type) {
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			s, _ := scalarString(e).(string)
			parts = append(parts, s)
		}
		return strings.Join(parts, ",")
	case string:
		return v
	}
	return nil
}

// applyGlobals merges Globals.Function into every AWS::Serverless::Function
// as SAM does: the resource's value wins for a scalar, maps merge, lists
// add up. Other sections of Globals are noted as not applied.
func (r *resolver) applyGlobals(doc map[string]any, t *samTemplate) error {
	globals, _ := doc["Globals"].(map[string]any)
	var other []string
	for section := range globals {
		if section != "Function" {
			other = append(other, "Globals."+section)
		}
	}
	if len(other) > 0 {
		sort.Strings(other)
		t.Notes = append(t.Notes, "not applied: "+strings.Join(other, ", ")+" (the emulator reads Globals.Function)")
	}
	fnGlobals, _ := globals["Function"].(map[string]any)
	for _, key := range []string{"FunctionName", "Events"} {
		if _, ok := fnGlobals[key]; ok {
			return fmt.Errorf("%s: Globals.Function.%s: SAM does not take %s in Globals", r.file, key, key)
		}
	}
	if len(fnGlobals) == 0 {
		return nil
	}
	for _, res := range r.resources {
		if res.Type == typeServerlessFunction {
			res.Properties, _ = mergeGlobal(fnGlobals, res.Properties).(map[string]any)
		}
	}
	return nil
}

// mergeGlobal merges a Globals value with a resource's, SAM's way. An
// intrinsic is a scalar: it is not merged into.
func mergeGlobal(global, local any) any {
	if local == nil {
		return deepCopy(global)
	}
	gm, gok := global.(map[string]any)
	lm, lok := local.(map[string]any)
	if gok && lok && !isIntrinsic(gm) && !isIntrinsic(lm) {
		out := map[string]any{}
		for k, v := range gm {
			out[k] = deepCopy(v)
		}
		for k, v := range lm {
			out[k] = mergeGlobal(gm[k], v)
			if _, inGlobal := gm[k]; !inGlobal {
				out[k] = v
			}
		}
		return out
	}
	gl, gok := global.([]any)
	ll, lok := local.([]any)
	if gok && lok {
		return append(deepCopy(gl).([]any), ll...)
	}
	return local
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// isIntrinsic reports whether m is an intrinsic function's long form.
func isIntrinsic(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// addImplicit adds the resources SAM generates that a template may refer
// to: each function's Function URL (<Function>Url) and the APIs of events
// that name none.
func (r *resolver) addImplicit() {
	r.implicitIDs = map[string]bool{}
	add := func(id, typ string, props map[string]any) {
		if _, ok := r.resources[id]; !ok {
			r.resources[id] = &rawResource{Type: typ, Properties: props}
			r.implicitIDs[id] = true
		}
	}
	for id, res := range r.resources {
		if res.Type != typeServerlessFunction {
			continue
		}
		if _, ok := res.Properties["FunctionUrlConfig"]; ok {
			add(id+"Url", typeLambdaURL, map[string]any{"TargetFunctionArn": map[string]any{"Ref": id}})
		}
		events, _ := res.Properties["Events"].(map[string]any)
		for _, ev := range events {
			m, _ := ev.(map[string]any)
			props, _ := m["Properties"].(map[string]any)
			switch m["Type"] {
			case "Api":
				if _, named := props["RestApiId"]; !named {
					add(implicitRestAPI, typeServerlessAPI, map[string]any{"StageName": "Prod"})
				}
			case "HttpApi":
				if _, named := props["ApiId"]; !named {
					add(implicitHTTPAPI, typeServerlessHTTPAPI, map[string]any{})
				}
			}
		}
	}
}

func (r *resolver) implicit(id string) bool { return r.implicitIDs[id] }

// Properties of functions the emulator applies, and those that have no
// effect on a function's behaviour: any other property is noted as not
// emulated.
var (
	serverlessApplied = []string{"Architectures", "CodeUri", "Environment", "Events", "FunctionName", "FunctionUrlConfig", "MemorySize", "PackageType", "ReservedConcurrentExecutions", "Runtime", "Timeout"}
	lambdaApplied     = []string{"Architectures", "Code", "Environment", "FunctionName", "MemorySize", "PackageType", "ReservedConcurrentExecutions", "Runtime", "Timeout"}
	noEffect          = []string{"Description", "Handler", "Tags", "PropagateTags", "VersionDescription"}
)

// unapplied notes the properties of a resource that the emulator leaves
// out.
func unapplied(t *samTemplate, id string, props map[string]any, applied []string) {
	var out []string
	for k := range props {
		if !slices.Contains(applied, k) && !slices.Contains(noEffect, k) {
			out = append(out, k)
		}
	}
	if len(out) > 0 {
		sort.Strings(out)
		t.Notes = append(t.Notes, fmt.Sprintf("resource %s: not emulated: %s", id, strings.Join(out, ", ")))
	}
}

// decodeResource decodes a resource's properties into a goformation
// resource type, whose UnmarshalJSON takes the whole resource.
func decodeResource(props map[string]any, out any) error {
	b, err := json.Marshal(map[string]any{"Properties": props})
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func (r *resolver) serverlessFunction(id string, res *rawResource, dir string, t *samTemplate) (*samFunction, error) {
	unapplied(t, id, res.Properties, serverlessApplied)
	props, err := r.resolveProps(id, res.Properties, "Architectures", "CodeUri", "Environment", "FunctionName", "MemorySize", "PackageType", "ReservedConcurrentExecutions", "Runtime", "Timeout")
	if err != nil {
		return nil, err
	}
	if uri, ok := props["CodeUri"]; ok {
		if _, isString := uri.(string); !isString {
			return nil, fmt.Errorf("%s: resource %s, property CodeUri: an S3 location; give a local folder, zip or bootstrap", r.file, id)
		}
	}
	var sf serverless.Function
	if err := decodeResource(props, &sf); err != nil {
		return nil, fmt.Errorf("%s: resource %s: %w", r.file, id, err)
	}
	fn := &samFunction{LogicalID: id, Type: typeServerlessFunction}
	var code string
	if sf.CodeUri != nil && sf.CodeUri.String != nil {
		code = *sf.CodeUri.String
	}
	var env map[string]string
	if sf.Environment != nil {
		env = sf.Environment.Variables
	}
	if err := r.common(fn, dir, code, "CodeUri", sf.PackageType, sf.Runtime, sf.Architectures, sf.MemorySize, sf.Timeout, sf.ReservedConcurrentExecutions, env); err != nil {
		return nil, err
	}
	if sf.FunctionName != nil {
		fn.Name = *sf.FunctionName
	}
	if raw, ok := res.Properties["FunctionUrlConfig"]; ok {
		m, _ := raw.(map[string]any)
		if m == nil {
			return nil, fmt.Errorf("%s: resource %s, property FunctionUrlConfig: not a mapping", r.file, id)
		}
		u, err := r.urlConfig(id, "FunctionUrlConfig.", m)
		if err != nil {
			return nil, err
		}
		u.From = "FunctionUrlConfig"
		fn.URL, fn.URLID = u, id+"Url"
	}
	events, _ := res.Properties["Events"].(map[string]any)
	names := make([]string, 0, len(events))
	for name := range events {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := r.event(fn, name, events[name], t); err != nil {
			return nil, err
		}
	}
	return fn, nil
}

func (r *resolver) lambdaFunction(id string, res *rawResource, dir string, t *samTemplate) (*samFunction, error) {
	unapplied(t, id, res.Properties, lambdaApplied)
	props, err := r.resolveProps(id, res.Properties, "Architectures", "Code", "Environment", "FunctionName", "MemorySize", "PackageType", "ReservedConcurrentExecutions", "Runtime", "Timeout")
	if err != nil {
		return nil, err
	}
	code, isPath := props["Code"].(string)
	if !isPath {
		return nil, fmt.Errorf("%s: resource %s, property Code: give a local folder, zip or bootstrap (as for `aws cloudformation package`); S3, image and inline code do not run here", r.file, id)
	}
	delete(props, "Code")
	var lf lambda.Function
	if err := decodeResource(props, &lf); err != nil {
		return nil, fmt.Errorf("%s: resource %s: %w", r.file, id, err)
	}
	fn := &samFunction{LogicalID: id, Type: typeLambdaFunction}
	var env map[string]string
	if lf.Environment != nil {
		env = lf.Environment.Variables
	}
	if err := r.common(fn, dir, code, "Code", lf.PackageType, lf.Runtime, lf.Architectures, lf.MemorySize, lf.Timeout, lf.ReservedConcurrentExecutions, env); err != nil {
		return nil, err
	}
	if lf.FunctionName != nil {
		fn.Name = *lf.FunctionName
	}
	return fn, nil
}

// reservedEnv are the environment variables Lambda sets itself and refuses
// in a function's configuration.
var reservedEnv = []string{"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
	"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"}

// common reads the properties both function types share, with Lambda's
// defaults and limits.
func (r *resolver) common(fn *samFunction, dir, code, codeProp string, pkgType, runtime *string, archs []string, memory, timeout, reserved *int, env map[string]string) error {
	where := fmt.Sprintf("%s: resource %s", r.file, fn.LogicalID)
	fn.Name = fn.LogicalID
	if pkgType != nil && *pkgType != "Zip" {
		return fmt.Errorf("%s, property PackageType: %s; the emulator runs Zip functions", where, *pkgType)
	}
	switch {
	case runtime == nil:
		return fmt.Errorf("%s: no Runtime: lambdagrpc functions run on provided.al2023", where)
	case *runtime != "provided.al2023" && *runtime != "provided.al2":
		return fmt.Errorf("%s, property Runtime: %s; lambdagrpc functions run on provided.al2023 (or provided.al2)", where, *runtime)
	}
	if code == "" {
		return fmt.Errorf("%s: no %s: give the function's Go package folder, or a zip or bootstrap built for it", where, codeProp)
	}
	if strings.HasPrefix(code, "s3://") {
		return fmt.Errorf("%s, property %s: %s is in S3; give a local folder, zip or bootstrap", where, codeProp, code)
	}
	if !filepath.IsAbs(code) {
		code = filepath.Join(dir, code)
	}
	fn.Code = code
	switch len(archs) {
	case 0:
		fn.Arch = "x86_64"
	case 1:
		fn.Arch = archs[0]
		if fn.Arch != "x86_64" && fn.Arch != "arm64" {
			return fmt.Errorf("%s, property Architectures: %q; Lambda takes x86_64 or arm64", where, fn.Arch)
		}
	default:
		return fmt.Errorf("%s, property Architectures: %d values (with Globals); Lambda takes one", where, len(archs))
	}
	fn.MemoryMB = 128
	if memory != nil {
		if *memory < 128 || *memory > 10240 {
			return fmt.Errorf("%s, property MemorySize: %d; Lambda takes 128 to 10240 (MB)", where, *memory)
		}
		fn.MemoryMB = *memory
	}
	fn.Timeout = 3 * time.Second
	if timeout != nil {
		if *timeout < 1 || *timeout > 900 {
			return fmt.Errorf("%s, property Timeout: %d; Lambda takes 1 to 900 (seconds)", where, *timeout)
		}
		fn.Timeout = time.Duration(*timeout) * time.Second
	}
	if reserved != nil {
		if *reserved == 0 {
			return fmt.Errorf("%s, property ReservedConcurrentExecutions: 0 throttles every invocation, which the emulator does not do; remove it or give 1 or more", where)
		}
		fn.Reserved = *reserved
	}
	for k := range env {
		if slices.Contains(reservedEnv, k) {
			return fmt.Errorf("%s, property Environment.Variables.%s: Lambda sets %s itself and refuses it in a function's configuration", where, k, k)
		}
	}
	fn.Env = env
	return nil
}

// urlConfig reads a FunctionUrlConfig (prefix "FunctionUrlConfig.") or an
// AWS::Lambda::Url's properties (prefix "").
func (r *resolver) urlConfig(id, prefix string, raw map[string]any) (*samURL, error) {
	props := map[string]any{}
	for _, k := range []string{"AuthType", "Cors", "InvokeMode"} {
		v, ok := raw[k]
		if !ok {
			continue
		}
		resolved, err := r.resolve(id, prefix+k, v)
		if err != nil {
			return nil, err
		}
		if resolved != nil {
			props[k] = resolved
		}
	}
	if cors, ok := props["Cors"].(map[string]any); ok {
		coerceNumber(cors, "MaxAge")
		coerceBool(cors, "AllowCredentials")
	}
	prop := strings.TrimSuffix(prefix, ".")
	if prop != "" {
		prop = " " + prop
	}
	var u lambda.Url
	if err := decodeResource(props, &u); err != nil {
		return nil, fmt.Errorf("%s: resource %s%s: %w", r.file, id, prop, err)
	}
	out := &samURL{AuthType: u.AuthType, InvokeMode: emulator.Buffered}
	switch u.AuthType {
	case "NONE", "AWS_IAM":
	default:
		return nil, fmt.Errorf("%s: resource %s, property %sAuthType: %q; Lambda takes NONE or AWS_IAM", r.file, id, prefix, u.AuthType)
	}
	if u.InvokeMode != nil {
		switch m := emulator.InvokeMode(*u.InvokeMode); m {
		case emulator.Buffered, emulator.ResponseStream:
			out.InvokeMode = m
		default:
			return nil, fmt.Errorf("%s: resource %s, property %sInvokeMode: %q; Lambda takes BUFFERED or RESPONSE_STREAM", r.file, id, prefix, m)
		}
	}
	if c := u.Cors; c != nil {
		out.CORS = &emulator.CORS{AllowOrigins: c.AllowOrigins, AllowMethods: c.AllowMethods, AllowHeaders: c.AllowHeaders, ExposeHeaders: c.ExposeHeaders}
		if c.AllowCredentials != nil {
			out.CORS.AllowCredentials = *c.AllowCredentials
		}
		if c.MaxAge != nil {
			out.CORS.MaxAge = *c.MaxAge
		}
	}
	return out, nil
}

// lambdaURL attaches an AWS::Lambda::Url to the function it targets.
func (r *resolver) lambdaURL(id string, res *rawResource, byID map[string]*samFunction, t *samTemplate) error {
	unapplied(t, id, res.Properties, []string{"AuthType", "Cors", "InvokeMode", "TargetFunctionArn", "Qualifier"})
	props, err := r.resolveProps(id, res.Properties, "TargetFunctionArn", "Qualifier")
	if err != nil {
		return err
	}
	target, _ := props["TargetFunctionArn"].(string)
	var fn *samFunction
	for _, f := range byID {
		if target == f.Name || target == functionARN(f.Name) {
			fn = f
		}
	}
	if fn == nil {
		return fmt.Errorf("%s: resource %s, property TargetFunctionArn: %q is not a function of the template", r.file, id, target)
	}
	if fn.URL != nil {
		return fmt.Errorf("%s: resource %s: function %s already has a Function URL (%s); the emulator gives a function one", r.file, id, fn.LogicalID, fn.URL.From)
	}
	if q, ok := props["Qualifier"]; ok {
		t.Notes = append(t.Notes, fmt.Sprintf("resource %s: Qualifier %v: the emulator has no versions or aliases; the URL runs the function's code", id, q))
	}
	u, err := r.urlConfig(id, "", res.Properties)
	if err != nil {
		return err
	}
	u.From = typeLambdaURL + " " + id
	fn.URL, fn.URLID = u, id
	return nil
}

// event reads one of a function's Events: HttpApi and Api events become
// front doors; other types are noted.
func (r *resolver) event(fn *samFunction, name string, raw any, t *samTemplate) error {
	m, _ := raw.(map[string]any)
	typ, _ := m["Type"].(string)
	where := "Events." + name
	rawProps, _ := m["Properties"].(map[string]any)
	var (
		api, method, path string
		kind              emulator.FrontDoorKind
		apiProp           string
	)
	switch typ {
	case "HttpApi":
		unapplied(t, fn.LogicalID+", "+where, rawProps, []string{"ApiId", "Method", "Path", "PayloadFormatVersion"})
		props, err := r.resolveProps(fn.LogicalID, rawProps, "ApiId", "Method", "Path", "PayloadFormatVersion")
		if err != nil {
			return err
		}
		var ev serverless.Function_HttpApiEvent
		if err := decodeJSON(props, &ev); err != nil {
			return fmt.Errorf("%s: resource %s, property %s: %w", r.file, fn.LogicalID, where, err)
		}
		kind, api, method, path, apiProp = emulator.HTTPAPI, implicitHTTPAPI, "ANY", "/{proxy+}", "ApiId"
		if ev.PayloadFormatVersion != nil {
			switch *ev.PayloadFormatVersion {
			case "2.0":
			case "1.0":
				kind = emulator.HTTPAPIv1
			default:
				return fmt.Errorf("%s: resource %s, property %s.PayloadFormatVersion: %q; HTTP APIs take 1.0 or 2.0", r.file, fn.LogicalID, where, *ev.PayloadFormatVersion)
			}
		}
		if ev.ApiId != nil {
			api = *ev.ApiId
		}
		if ev.Method != nil {
			method = strings.ToUpper(*ev.Method)
		}
		if ev.Path != nil {
			path = *ev.Path
		}
	case "Api":
		unapplied(t, fn.LogicalID+", "+where, rawProps, []string{"RestApiId", "Method", "Path"})
		props, err := r.resolveProps(fn.LogicalID, rawProps, "RestApiId", "Method", "Path")
		if err != nil {
			return err
		}
		var ev serverless.Function_ApiEvent
		if err := decodeJSON(props, &ev); err != nil {
			return fmt.Errorf("%s: resource %s, property %s: %w", r.file, fn.LogicalID, where, err)
		}
		if ev.Path == "" || ev.Method == "" {
			return fmt.Errorf("%s: resource %s, property %s: an Api event needs Path and Method", r.file, fn.LogicalID, where)
		}
		kind, api, method, path, apiProp = emulator.REST, implicitRestAPI, strings.ToUpper(ev.Method), ev.Path, "RestApiId"
		if ev.RestApiId != nil {
			api = *ev.RestApiId
		}
	case "SQS":
		return r.sqsEvent(fn, name, rawProps, t)
	default:
		t.Notes = append(t.Notes, fmt.Sprintf("resource %s, %s: events of type %s are not emulated; call the function through the Invoke API", fn.LogicalID, where, typ))
		return nil
	}
	if id, ok := r.apiIDs[api]; ok {
		api = id // a Ref to an API resolves to its id
	}
	res, ok := r.resources[api]
	want := map[emulator.FrontDoorKind]string{emulator.HTTPAPI: typeServerlessHTTPAPI, emulator.HTTPAPIv1: typeServerlessHTTPAPI, emulator.REST: typeServerlessAPI}[kind]
	if !ok || res.Type != want {
		return fmt.Errorf("%s: resource %s, property %s.Properties.%s: %q is not an %s of the template", r.file, fn.LogicalID, where, apiProp, api, want)
	}
	stage, err := r.stage(api, res)
	if err != nil {
		return err
	}
	if r.apiUsed == nil {
		r.apiUsed = map[string]bool{}
	}
	r.apiUsed[api] = true
	route := samRoute{Event: name, Method: method, Path: path}
	for _, d := range fn.Doors {
		if d.API == api && d.Kind == kind {
			d.Routes = append(d.Routes, route)
			return nil
		}
		if d.API == api {
			return fmt.Errorf("%s: resource %s, property %s: API %s takes payload %s and %s events of one function; the emulator gives a function one door per API", r.file, fn.LogicalID, where, api, d.Kind, kind)
		}
	}
	fn.Doors = append(fn.Doors, &samDoor{API: api, Kind: kind, Stage: stage, Routes: []samRoute{route}})
	return nil
}

// stage is an API's stage: its StageName, else SAM's default (Prod for a
// REST API, $default for an HTTP API).
func (r *resolver) stage(api string, res *rawResource) (string, error) {
	props, err := r.resolveProps(api, res.Properties, "StageName")
	if err != nil {
		return "", err
	}
	switch s := props["StageName"].(type) {
	case nil:
		if res.Type == typeServerlessAPI {
			return "", fmt.Errorf("%s: resource %s: no StageName", r.file, api)
		}
		return "$default", nil
	case string:
		return s, nil
	default:
		return "", fmt.Errorf("%s: resource %s, property StageName: not a string", r.file, api)
	}
}

func decodeJSON(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// coerceNumber turns a numeric string (a parameter's value) into a number,
// as CloudFormation does for a numeric property.
func coerceNumber(m map[string]any, key string) {
	if s, ok := m[key].(string); ok {
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			m[key] = n
		}
	}
}

func coerceBool(m map[string]any, key string) {
	if s, ok := m[key].(string); ok {
		if b, err := strconv.ParseBool(s); err == nil {
			m[key] = b
		}
	}
}
