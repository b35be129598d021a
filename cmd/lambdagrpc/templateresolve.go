package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// resolveProps resolves the intrinsics of the named properties of a
// resource, and turns what CloudFormation would convert into the type the
// property takes.
func (r *resolver) resolveProps(id string, props map[string]any, keys ...string) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range keys {
		v, ok := props[k]
		if !ok {
			continue
		}
		resolved, err := r.resolve(id, k, v)
		if err != nil {
			return nil, err
		}
		if resolved == nil {
			continue // AWS::NoValue
		}
		out[k] = resolved
	}
	for _, k := range []string{"MemorySize", "Timeout", "ReservedConcurrentExecutions"} {
		coerceNumber(out, k)
	}
	if env, ok := out["Environment"].(map[string]any); ok {
		if vars, ok := env["Variables"].(map[string]any); ok {
			for k, v := range vars {
				switch v.(type) {
				case float64, bool:
					vars[k] = scalarString(v)
				}
			}
		}
	}
	return out, nil
}

// resolver resolves the intrinsics of a template's values: Ref, Fn::Sub
// and Fn::GetAtt on parameters, pseudo-parameters and the resources the
// emulator runs. What it cannot resolve becomes a marker that resolve
// turns into an error naming the resource, the property and the
// intrinsic.
type resolver struct {
	file        string
	params      map[string]*templateParam
	resources   map[string]*rawResource
	implicitIDs map[string]bool
	apiIDs      map[string]string // API id → logical id
	apiUsed     map[string]bool
	naming      map[string]bool // functions whose FunctionName is being resolved
	unresolved  []string
}

// markerPrefix starts the string that stands for an intrinsic the resolver
// refused, until resolve reports it.
const markerPrefix = "\x00lambdagrpc-unresolved:"

var markerRE = regexp.MustCompile("\x00lambdagrpc-unresolved:([0-9]+)\x00")

// urlMarker stands for the address of the Function URL whose resource has
// logical id id, which is known once the emulator's ports are laid out. It
// may be in Environment.Variables only.
func urlMarker(id string) string { return "\x00lambdagrpc-url:" + id + "\x00" }

var urlMarkerRE = regexp.MustCompile("\x00lambdagrpc-url:([^\x00]+)\x00")

func (r *resolver) refuse(format string, args ...any) string {
	r.unresolved = append(r.unresolved, fmt.Sprintf(format, args...))
	return markerPrefix + strconv.Itoa(len(r.unresolved)-1) + "\x00"
}

// intrinsicNames are the intrinsic functions the resolver recognises;
// only Ref, Fn::Sub and Fn::GetAtt are resolved.
var intrinsicNames = []string{"Fn::Base64", "Fn::And", "Fn::Equals", "Fn::If", "Fn::Not", "Fn::Or", "Fn::FindInMap", "Fn::GetAZs",
	"Fn::ImportValue", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Cidr", "Fn::Transform", "Fn::Length", "Fn::ToJsonString"}

func (r *resolver) options() *intrinsics.ProcessorOptions {
	h := map[string]intrinsics.IntrinsicHandler{
		"Ref": func(_ string, input, _ any) any {
			name, ok := input.(string)
			if !ok {
				return r.refuse("Ref takes a name, not %s", describeValue(input))
			}
			return r.ref(name)
		},
		"Fn::GetAtt": func(_ string, input, _ any) any {
			var parts []string
			switch v := input.(type) {
			case string:
				res, attr, _ := strings.Cut(v, ".")
				parts = []string{res, attr}
			case []any:
				for _, p := range v {
					s, _ := p.(string)
					parts = append(parts, s)
				}
			}
			if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
				return r.refuse("Fn::GetAtt takes a resource and an attribute, not %s", describeValue(input))
			}
			return r.getAtt(parts[0], parts[1])
		},
		"Fn::Sub": func(_ string, input, _ any) any { return r.sub(input) },
	}
	for _, name := range intrinsicNames {
		h[name] = func(name string, input, _ any) any {
			return r.refuse("%s is not resolved by the emulator (it resolves Ref, Fn::Sub and Fn::GetAtt)", name)
		}
	}
	return &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: h}
}

// resolve resolves the intrinsics in v, the value of property prop of
// resource id, and reports the first it refused.
func (r *resolver) resolve(id, prop string, v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out, err := intrinsics.ProcessJSON(b, r.options())
	if err != nil {
		return nil, fmt.Errorf("%s: resource %s, property %s: %w", r.file, id, prop, err)
	}
	var resolved any
	if err := json.Unmarshal(out, &resolved); err != nil {
		return nil, err
	}
	if path, desc := r.findMarker(resolved, prop); desc != "" {
		return nil, fmt.Errorf("%s: resource %s, property %s: %s", r.file, id, path, desc)
	}
	if path, desc := findURLMarker(resolved, prop); desc != "" && !strings.HasPrefix(path, "Environment.Variables.") {
		return nil, fmt.Errorf("%s: resource %s, property %s: %s", r.file, id, path, desc)
	}
	return dropNoValue(resolved), nil
}

// dropNoValue removes the keys whose value is null, as CloudFormation
// removes a property set to AWS::NoValue.
func dropNoValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
			} else {
				v[k] = dropNoValue(e)
			}
		}
	case []any:
		for i, e := range v {
			v[i] = dropNoValue(e)
		}
	}
	return v
}

// findMarker finds a refused intrinsic in v and returns where it is and
// what was refused.
func (r *resolver) findMarker(v any, path string) (string, string) {
	return findString(v, path, func(s string) string {
		if m := markerRE.FindStringSubmatch(s); m != nil {
			i, _ := strconv.Atoi(m[1])
			return r.unresolved[i]
		}
		return ""
	})
}

// findURLMarker finds a urlMarker in v and returns where it is.
func findURLMarker(v any, path string) (string, string) {
	return findString(v, path, func(s string) string {
		if m := urlMarkerRE.FindStringSubmatch(s); m != nil {
			return "!GetAtt " + m[1] + ".FunctionUrl: the emulator gives a Function URL's address to Environment.Variables only"
		}
		return ""
	})
}

// findString returns the path of the first string in v, in the order of
// its keys, that match describes, and the description.
func findString(v any, path string, match func(string) string) (string, string) {
	switch v := v.(type) {
	case string:
		if d := match(v); d != "" {
			return path, d
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, d := findString(v[k], path+"."+k, match); d != "" {
				return p, d
			}
		}
	case []any:
		for i, e := range v {
			if p, d := findString(e, fmt.Sprintf("%s[%d]", path, i), match); d != "" {
				return p, d
			}
		}
	}
	return "", ""
}

func describeValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ref resolves Ref name.
func (r *resolver) ref(name string) any {
	switch name {
	case "AWS::Region":
		return templateRegion
	case "AWS::AccountId":
		return templateAccount
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return templateStackName
	case "AWS::StackId":
		return "arn:aws:cloudformation:" + templateRegion + ":" + templateAccount + ":stack/" + templateStackName + "/00000000-0000-0000-0000-000000000000"
	case "AWS::NoValue":
		return nil
	}
	if strings.HasPrefix(name, "AWS::") {
		return r.refuse("!Ref %s: a pseudo-parameter the emulator does not know", name)
	}
	if p, ok := r.params[name]; ok {
		if p.Value == nil {
			return r.refuse("!Ref %s: the parameter has no Default; give it with --parameter %s=VALUE", name, name)
		}
		return p.Value
	}
	res, ok := r.resources[name]
	if !ok {
		return r.refuse("!Ref %s: neither a parameter nor a resource of the template", name)
	}
	switch res.Type {
	case typeServerlessFunction, typeLambdaFunction:
		return r.functionName(name)
	case typeServerlessAPI, typeServerlessHTTPAPI:
		return r.apiID(name)
	case typeLambdaURL:
		return r.refuse("!Ref %s: the emulator resolves !GetAtt %s.FunctionUrl and %s.FunctionArn of a Function URL", name, name, name)
	}
	return r.refuse("!Ref %s: a %s, which the emulator does not run", name, res.Type)
}

// getAtt resolves Fn::GetAtt res.attr.
func (r *resolver) getAtt(name, attr string) any {
	res, ok := r.resources[name]
	if !ok {
		return r.refuse("!GetAtt %s.%s: %s is not a resource of the template", name, attr, name)
	}
	switch {
	case (res.Type == typeServerlessFunction || res.Type == typeLambdaFunction) && attr == "Arn":
		return functionARN(r.functionName(name))
	case res.Type == typeLambdaURL && attr == "FunctionArn":
		target, err := r.resolve(name, "TargetFunctionArn", res.Properties["TargetFunctionArn"])
		if err != nil {
			return r.refuse("!GetAtt %s.%s: %v", name, attr, err)
		}
		s, _ := target.(string)
		if !strings.HasPrefix(s, "arn:") {
			s = functionARN(s)
		}
		return s
	case res.Type == typeLambdaURL && attr == "FunctionUrl":
		return urlMarker(name)
	}
	if res.Type == typeSQSQueue {
		switch attr {
		case "Arn":
			return "arn:aws:sqs:" + templateRegion + ":" + templateAccount + ":" + r.queueName(name)
		case "QueueName":
			return r.queueName(name)
		}
		return r.refuse("!GetAtt %s.%s: the emulator knows the Arn and QueueName of a queue", name, attr)
	}
	switch res.Type {
	case typeServerlessFunction, typeLambdaFunction:
		return r.refuse("!GetAtt %s.%s: the emulator knows the Arn of a function", name, attr)
	case typeLambdaURL:
		return r.refuse("!GetAtt %s.%s: the emulator knows the FunctionUrl and FunctionArn of a Function URL", name, attr)
	}
	return r.refuse("!GetAtt %s.%s: %s is a %s, which the emulator does not run", name, attr, name, res.Type)
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub resolves Fn::Sub: a string, or a string and its own variables.
func (r *resolver) sub(input any) any {
	var (
		tmpl string
		vars map[string]any
	)
	switch v := input.(type) {
	case string:
		tmpl = v
	case []any:
		if len(v) == 2 {
			tmpl, _ = v[0].(string)
			vars, _ = v[1].(map[string]any)
		}
		if tmpl == "" || vars == nil {
			return r.refuse("Fn::Sub takes a string, or a string and a map of variables, not %s", describeValue(input))
		}
	default:
		return r.refuse("Fn::Sub takes a string, or a string and a map of variables, not %s", describeValue(input))
	}
	var refused string
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-1])
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			return "${" + lit + "}"
		}
		var v any
		if val, ok := vars[name]; ok {
			v = val
		} else if res, attr, ok := strings.Cut(name, "."); ok {
			v = r.getAtt(res, attr)
		} else {
			v = r.ref(name)
		}
		s, ok := v.(string)
		if !ok {
			s = r.refuse("!Sub %q: ${%s} is %s, not a string", tmpl, name, describeValue(v))
		}
		if strings.Contains(s, markerPrefix) && refused == "" {
			refused = s
		}
		return s
	})
	if refused != "" {
		return refused
	}
	return out
}

// functionName is the name of the function with logical id id: its
// FunctionName, resolved, or its logical id.
func (r *resolver) functionName(id string) string {
	res := r.resources[id]
	raw, ok := res.Properties["FunctionName"]
	if !ok || r.naming[id] {
		return id
	}
	r.naming[id] = true
	defer delete(r.naming, id)
	v, err := r.resolve(id, "FunctionName", raw)
	if s, ok := v.(string); err == nil && ok && s != "" {
		return s
	}
	return id
}

func functionARN(name string) string {
	return "arn:aws:lambda:" + templateRegion + ":" + templateAccount + ":function:" + name
}

// apiID is the id Ref gives an API: ten characters, as API Gateway's, the
// same for the same logical id.
func (r *resolver) apiID(id string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	s := strconv.FormatUint(h.Sum64(), 36)
	for len(s) < 10 {
		s += "0"
	}
	s = s[:10]
	if r.apiIDs == nil {
		r.apiIDs = map[string]string{}
	}
	r.apiIDs[s] = id
	return s
}
