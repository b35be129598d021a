package main

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goreflect "reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// parseYAML parses a template given as text, with CodeUri paths relative
// to dir.
func parseYAML(t *testing.T, dir, text string, params map[string]string) (*samTemplate, error) {
	t.Helper()
	return parseTemplate("template.yaml", dir, []byte(text), params)
}

// fnHeader is a template's start: a function with its code and runtime, to
// which a test adds properties (indented by six spaces) and resources.
const fnHeader = `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./fn
      Runtime: provided.al2023
`

// TestTemplateTestdata reads every property of the e2e test's template.
func TestTemplateTestdata(t *testing.T) {
	t.Parallel()
	tpl, err := loadTemplate("testdata/template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.Notes) != 0 {
		t.Errorf("notes: %q", tpl.Notes)
	}
	if len(tpl.Functions) != 3 {
		t.Fatalf("%d functions", len(tpl.Functions))
	}
	greeter, _ := filepath.Abs("../../examples/greeter")
	g, s, v := tpl.Functions[0], tpl.Functions[1], tpl.Functions[2]
	if g.LogicalID != "Greeter" || g.Name != "lambdagrpc-local-greeter" || g.Code != greeter || g.Arch != "x86_64" ||
		g.MemoryMB != 256 || g.Timeout != 10*time.Second || g.InvokeMode() != emulator.Buffered {
		t.Errorf("Greeter = %+v", g)
	}
	if want := map[string]string{"GREETING": "hello", "SELF_ARN": "arn:aws:lambda:us-east-1:123456789012:function:lambdagrpc-local-greeter"}; !goreflect.DeepEqual(g.Env, want) {
		t.Errorf("Greeter's environment = %v, want %v", g.Env, want)
	}
	wantCORS := &emulator.CORS{AllowOrigins: []string{"http://localhost:5173"}, AllowMethods: []string{"POST"}, AllowHeaders: []string{"*"}, MaxAge: 600}
	if g.URL == nil || g.URL.AuthType != "NONE" || !goreflect.DeepEqual(g.URL.CORS, wantCORS) {
		t.Errorf("Greeter's URL = %+v", g.URL)
	}
	wantDoors := []*samDoor{
		{API: "ServerlessHttpApi", Kind: emulator.HTTPAPI, Stage: "$default", Routes: []samRoute{{"Http", "ANY", "/{proxy+}"}}},
		{API: "ServerlessRestApi", Kind: emulator.REST, Stage: "Prod", Routes: []samRoute{{"Rest", "ANY", "/{proxy+}"}}},
	}
	if !goreflect.DeepEqual(g.Doors, wantDoors) {
		t.Errorf("Greeter's doors = %+v", g.Doors)
	}
	if s.Name != "Streamer" || s.Timeout != 30*time.Second || s.InvokeMode() != emulator.ResponseStream || s.URL.CORS != nil || len(s.Doors) != 0 {
		t.Errorf("Streamer = %+v", s)
	}
	if got := strings.Join(s.Environ(), " "); got != "LAMBDAGRPC_INVOKE_MODE=RESPONSE_STREAM GREETING=hello" {
		t.Errorf("Streamer's environment = %s", got)
	}
	if !g.URLReferenced || g.URLID != "GreeterUrl" || !strings.HasPrefix(v.Env["GREETER_URL"], "\x00") {
		t.Errorf("V1's GREETER_URL = %q, Greeter's URL referenced: %v", v.Env["GREETER_URL"], g.URLReferenced)
	}
	delete(v.Env, "GREETER_URL")
	if v.URL != nil || !goreflect.DeepEqual(v.Doors, []*samDoor{{API: "LegacyApi", Kind: emulator.HTTPAPIv1, Stage: "v1", Routes: []samRoute{{"Legacy", "ANY", "/{proxy+}"}}}}) {
		t.Errorf("V1 = %+v", v)
	}
	if got := strings.Join(v.Environ(), " "); got != "LAMBDAGRPC_INVOKE_MODE=BUFFERED GREETING=hello" {
		t.Errorf("V1's environment = %s", got)
	}
	tpl, err = loadTemplate("testdata/template.yaml", map[string]string{"Stage": "beta", "Greeting": "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if v := tpl.Functions[2]; v.Doors[0].Stage != "beta" || v.Env["GREETING"] != "hi" {
		t.Errorf("with --parameter: V1 = %+v", v)
	}
}

// TestTemplateProperties reads each property into the function's settings.
func TestTemplateProperties(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text string
		params     map[string]string
		check      func(*samFunction) bool
	}{
		{"defaults", fnHeader, nil, func(f *samFunction) bool {
			return f.Name == "Fn" && f.Code == filepath.Join(dir, "fn") && f.Arch == "x86_64" && f.MemoryMB == 128 && f.Timeout == 3*time.Second &&
				f.Reserved == 0 && f.URL == nil && len(f.Doors) == 0 && f.InvokeMode() == emulator.Buffered
		}},
		{"provided.al2", strings.Replace(fnHeader, "provided.al2023", "provided.al2", 1), nil, func(f *samFunction) bool { return f.Name == "Fn" }},
		{"absolute CodeUri", strings.Replace(fnHeader, "./fn", "/srv/fn.zip", 1), nil, func(f *samFunction) bool { return f.Code == "/srv/fn.zip" }},
		{"architecture", fnHeader + "      Architectures: [arm64]\n", nil, func(f *samFunction) bool { return f.Arch == "arm64" }},
		{"memory and timeout", fnHeader + "      MemorySize: 1024\n      Timeout: 900\n", nil, func(f *samFunction) bool {
			return f.MemoryMB == 1024 && f.Timeout == 900*time.Second
		}},
		{"numbers from parameters", "Parameters:\n  Mem: {Type: Number, Default: 512}\n  Secs: {Type: String, Default: '20'}\n" + fnHeader +
			"      MemorySize: !Ref Mem\n      Timeout: !Ref Secs\n      ReservedConcurrentExecutions: !Ref Secs\n", nil, func(f *samFunction) bool {
			return f.MemoryMB == 512 && f.Timeout == 20*time.Second && f.Reserved == 20
		}},
		{"parameter override", "Parameters:\n  Mem: {Type: Number, Default: 512}\n" + fnHeader + "      MemorySize: !Ref Mem\n",
			map[string]string{"Mem": "2048"}, func(f *samFunction) bool { return f.MemoryMB == 2048 }},
		{"environment", fnHeader + "      Environment:\n        Variables: {A: x, PORT: 8080, ON: true}\n", nil, func(f *samFunction) bool {
			return goreflect.DeepEqual(f.Env, map[string]string{"A": "x", "PORT": "8080", "ON": "true"})
		}},
		{"function name", fnHeader + "      FunctionName: greeter\n", nil, func(f *samFunction) bool { return f.Name == "greeter" && f.LogicalID == "Fn" }},
		{"URL", fnHeader + `      FunctionUrlConfig:
        AuthType: AWS_IAM
        InvokeMode: RESPONSE_STREAM
        Cors:
          AllowOrigins: ["*"]
          AllowMethods: [GET, POST]
          AllowHeaders: [content-type]
          ExposeHeaders: [grpc-status]
          AllowCredentials: true
          MaxAge: 60
`, nil, func(f *samFunction) bool {
			return f.URL.From == "FunctionUrlConfig" && f.URL.AuthType == "AWS_IAM" && f.InvokeMode() == emulator.ResponseStream && goreflect.DeepEqual(f.URL.CORS, &emulator.CORS{
				AllowOrigins: []string{"*"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"content-type"},
				ExposeHeaders: []string{"grpc-status"}, AllowCredentials: true, MaxAge: 60})
		}},
		{"events", fnHeader + `      Events:
        A: {Type: HttpApi, Properties: {Path: /greeter.Greeter/SayHello, Method: post}}
        B: {Type: HttpApi, Properties: {Path: /other, Method: GET}}
        C: {Type: Api, Properties: {Path: "/{proxy+}", Method: any, RestApiId: !Ref Rest}}
        D: {Type: HttpApi}
        E: {Type: HttpApi, Properties: {ApiId: !Ref Http, PayloadFormatVersion: "1.0"}}
  Rest:
    Type: AWS::Serverless::Api
    Properties: {StageName: dev}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties: {StageName: live}
`, nil, func(f *samFunction) bool {
			return goreflect.DeepEqual(f.Doors, []*samDoor{
				{API: "ServerlessHttpApi", Kind: emulator.HTTPAPI, Stage: "$default", Routes: []samRoute{
					{"A", "POST", "/greeter.Greeter/SayHello"}, {"B", "GET", "/other"}, {"D", "ANY", "/{proxy+}"}}},
				{API: "Rest", Kind: emulator.REST, Stage: "dev", Routes: []samRoute{{"C", "ANY", "/{proxy+}"}}},
				{API: "Http", Kind: emulator.HTTPAPIv1, Stage: "live", Routes: []samRoute{{"E", "ANY", "/{proxy+}"}}},
			})
		}},
		{"Lambda function and URL", `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Code: build/fn.zip
      Runtime: provided.al2023
      Role: arn:aws:iam::123456789012:role/fn
      Architectures: [arm64]
      MemorySize: 512
      Timeout: 5
      FunctionName: plain
      Environment: {Variables: {A: b}}
  FnUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: NONE
      InvokeMode: RESPONSE_STREAM
      Cors: {AllowOrigins: ["*"], MaxAge: 5}
`, nil, func(f *samFunction) bool {
			return f.Type == typeLambdaFunction && f.Name == "plain" && f.Code == filepath.Join(dir, "build/fn.zip") && f.Arch == "arm64" &&
				f.MemoryMB == 512 && f.Timeout == 5*time.Second && f.Env["A"] == "b" && f.URL.From == "AWS::Lambda::Url FnUrl" &&
				f.InvokeMode() == emulator.ResponseStream && f.URL.CORS.MaxAge == 5
		}},
		{"URL targeting a name", `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Code: fn, Runtime: provided.al2023}
  FnUrl:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !Ref Fn, AuthType: AWS_IAM}
`, nil, func(f *samFunction) bool { return f.URL.AuthType == "AWS_IAM" && f.InvokeMode() == emulator.Buffered }},
		{"JSON template", `{"Resources": {"Fn": {"Type": "AWS::Serverless::Function",
  "Properties": {"CodeUri": "fn", "Runtime": "provided.al2023", "Timeout": {"Ref": "T"}}}},
  "Parameters": {"T": {"Type": "Number", "Default": 7}}}`, nil, func(f *samFunction) bool { return f.Timeout == 7*time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := parseYAML(t, dir, tc.text, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if len(tpl.Functions) != 1 || !tc.check(tpl.Functions[0]) {
				t.Errorf("got %+v (URL %+v)", tpl.Functions, tpl.Functions[0].URL)
			}
		})
	}
}

// TestTemplateGlobals merges Globals.Function as SAM does.
func TestTemplateGlobals(t *testing.T) {
	t.Parallel()
	text := `Globals:
  Function:
    Runtime: provided.al2023
    CodeUri: ./shared
    MemorySize: 256
    Timeout: 5
    Environment:
      Variables: {A: global, B: global}
    FunctionUrlConfig:
      AuthType: NONE
      Cors: {AllowOrigins: ["*"]}
Resources:
  Plain:
    Type: AWS::Serverless::Function
  Own:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ./own
      Timeout: 30
      Environment:
        Variables: {B: own, C: own}
      FunctionUrlConfig:
        InvokeMode: RESPONSE_STREAM
        Cors: {MaxAge: 10}
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:x:1]
  Raw:
    Type: AWS::Lambda::Function
    Properties: {Code: ./raw, Runtime: provided.al2023}
`
	dir := t.TempDir()
	tpl, err := parseYAML(t, dir, text, nil)
	if err != nil {
		t.Fatal(err)
	}
	own, plain, raw := tpl.Functions[0], tpl.Functions[1], tpl.Functions[2]
	if plain.Code != filepath.Join(dir, "shared") || plain.MemoryMB != 256 || plain.Timeout != 5*time.Second ||
		!goreflect.DeepEqual(plain.Env, map[string]string{"A": "global", "B": "global"}) || plain.URL == nil || plain.InvokeMode() != emulator.Buffered {
		t.Errorf("Plain = %+v", plain)
	}
	if own.Code != filepath.Join(dir, "own") || own.MemoryMB != 256 || own.Timeout != 30*time.Second ||
		!goreflect.DeepEqual(own.Env, map[string]string{"A": "global", "B": "own", "C": "own"}) ||
		own.URL.AuthType != "NONE" || own.InvokeMode() != emulator.ResponseStream ||
		!goreflect.DeepEqual(own.URL.CORS, &emulator.CORS{AllowOrigins: []string{"*"}, MaxAge: 10}) {
		t.Errorf("Own = %+v, URL %+v", own, own.URL)
	}
	if raw.MemoryMB != 128 || raw.Timeout != 3*time.Second || raw.URL != nil || len(raw.Env) != 0 {
		t.Errorf("Globals reached an AWS::Lambda::Function: %+v", raw)
	}
	if !slices.Contains(tpl.Notes, "resource Own: not emulated: Layers") {
		t.Errorf("notes %q: want Layers noted", tpl.Notes)
	}

	// Lists add up, intrinsics are values, not maps to merge into.
	got := mergeGlobal(
		map[string]any{"L": []any{"a"}, "I": map[string]any{"Ref": "X"}, "M": map[string]any{"k": "g"}},
		map[string]any{"L": []any{"b"}, "I": map[string]any{"Fn::Sub": "y"}, "M": map[string]any{"Ref": "Z"}})
	want := map[string]any{"L": []any{"a", "b"}, "I": map[string]any{"Fn::Sub": "y"}, "M": map[string]any{"Ref": "Z"}}
	if !goreflect.DeepEqual(got, want) {
		t.Errorf("mergeGlobal = %v, want %v", got, want)
	}
	_, err = parseYAML(t, dir, "Globals:\n  Function:\n    Architectures: [arm64]\n"+fnHeader+"      Architectures: [x86_64]\n", nil)
	if err == nil || !strings.Contains(err.Error(), "Architectures: 2 values (with Globals)") {
		t.Errorf("two architectures: %v", err)
	}
	_, err = parseYAML(t, dir, "Globals:\n  Function:\n    Events: {}\n"+fnHeader, nil)
	if err == nil || !strings.Contains(err.Error(), "Globals.Function.Events") {
		t.Errorf("Events in Globals: %v", err)
	}
}

// TestTemplateIntrinsics resolves Ref, Fn::Sub and Fn::GetAtt on
// parameters, pseudo-parameters and the template's functions and APIs.
func TestTemplateIntrinsics(t *testing.T) {
	t.Parallel()
	text := `Parameters:
  Name: {Type: String, Default: world}
  List: {Type: CommaDelimitedList, Default: "a, b"}
  NoDefault: {Type: String}
` + fnHeader + `      FunctionName: !Sub "${AWS::StackName}-fn"
      Environment:
        Variables:
          PARAM: !Ref Name
          OVERRIDE: !Ref NoDefault
          REGION: !Ref AWS::Region
          ACCOUNT: !Ref AWS::AccountId
          PARTITION: !Ref AWS::Partition
          SUFFIX: !Ref AWS::URLSuffix
          STACK_ID: !Ref AWS::StackId
          SELF: !Ref Fn
          OTHER: !Ref Other
          ARN: !GetAtt Fn.Arn
          OTHER_ARN: !GetAtt [Other, Arn]
          URL_ARN: !GetAtt FnUrl.FunctionArn
          URL: !Sub "${FnUrl.FunctionUrl}greeter.Greeter/SayHello"
          SUB: !Sub "${Name} in ${AWS::Region} on ${Other.Arn}, ${!Literal}"
          SUB_VARS: !Sub ["${Greeting}, ${Name}", {Greeting: !Ref Name}]
          API: !Ref Http
          GONE: !Ref AWS::NoValue
      FunctionUrlConfig: {AuthType: NONE}
      Events:
        E: {Type: HttpApi, Properties: {ApiId: !Ref Http}}
  Other:
    Type: AWS::Lambda::Function
    Properties: {Code: other, Runtime: provided.al2023, FunctionName: !Join ["-", [a, b]]}
  Http:
    Type: AWS::Serverless::HttpApi
`
	_, err := parseYAML(t, t.TempDir(), text, nil)
	if err == nil || !strings.Contains(err.Error(), "resource Fn, property Environment.Variables.OVERRIDE: !Ref NoDefault: the parameter has no Default; give it with --parameter NoDefault=VALUE") {
		t.Fatalf("a parameter without a value: %v", err)
	}
	_, err = parseYAML(t, t.TempDir(), text, map[string]string{"NoDefault": "given"})
	if err == nil || !strings.Contains(err.Error(), "resource Other, property FunctionName: Fn::Join is not resolved by the emulator") {
		t.Fatalf("Fn::Join in another function's name: %v", err)
	}
	text = strings.Replace(text, `FunctionName: !Join ["-", [a, b]]`, `FunctionName: !Sub "${Name}-other"`, 1)
	tpl, err := parseYAML(t, t.TempDir(), text, map[string]string{"NoDefault": "given"})
	if err != nil {
		t.Fatal(err)
	}
	fn := tpl.Functions[0]
	arn := "arn:aws:lambda:us-east-1:123456789012:function:"
	want := map[string]string{
		"PARAM": "world", "OVERRIDE": "given", "REGION": "us-east-1", "ACCOUNT": "123456789012", "PARTITION": "aws",
		"SUFFIX": "amazonaws.com", "STACK_ID": "arn:aws:cloudformation:us-east-1:123456789012:stack/lambdagrpc-local/00000000-0000-0000-0000-000000000000",
		"SELF": "lambdagrpc-local-fn", "OTHER": "world-other", "ARN": arn + "lambdagrpc-local-fn", "OTHER_ARN": arn + "world-other",
		"URL_ARN": arn + "lambdagrpc-local-fn", "SUB": "world in us-east-1 on " + arn + "world-other, ${Literal}", "SUB_VARS": "world, world",
	}
	api, url := fn.Env["API"], fn.Env["URL"]
	delete(fn.Env, "API")
	delete(fn.Env, "URL")
	if !fn.URLReferenced || fn.URLID != "FnUrl" || withURLs(url, map[string]string{"FnUrl": "http://127.0.0.1:9000/"}) != "http://127.0.0.1:9000/greeter.Greeter/SayHello" {
		t.Errorf("the Function URL in the environment: %q (referenced %v)", url, fn.URLReferenced)
	}
	if !goreflect.DeepEqual(fn.Env, want) {
		for k, v := range fn.Env {
			if want[k] != v {
				t.Errorf("%s = %q, want %q", k, v, want[k])
			}
		}
		t.Errorf("environment %v", fn.Env)
	}
	if len(api) != 10 || fn.Name != "lambdagrpc-local-fn" || len(fn.Doors) != 1 || fn.Doors[0].API != "Http" {
		t.Errorf("API id %q, name %q, doors %+v", api, fn.Name, fn.Doors)
	}
	if _, err := parseYAML(t, t.TempDir(), fnHeader+"      Environment: {Variables: {L: !Ref List}}\nParameters:\n  List: {Type: CommaDelimitedList, Default: 'a,b'}\n", nil); err == nil {
		t.Error("a list in an environment variable was taken")
	}
}

// TestTemplateRefused: an intrinsic the emulator cannot resolve is an error
// that names the resource, the property and the intrinsic, wherever it is
// in a property the emulator applies; in one it does not apply, it is
// noted with the property.
func TestTemplateRefused(t *testing.T) {
	t.Parallel()
	table := "  Table:\n    Type: AWS::DynamoDB::Table\n"
	for _, tc := range []struct{ props, more, want string }{
		{"      Environment: {Variables: {T: !Ref Table}}\n", table,
			"resource Fn, property Environment.Variables.T: !Ref Table: a AWS::DynamoDB::Table, which the emulator does not run"},
		{"      Environment: {Variables: {T: !GetAtt Table.Arn}}\n", table,
			"resource Fn, property Environment.Variables.T: !GetAtt Table.Arn: Table is a AWS::DynamoDB::Table, which the emulator does not run"},
		{"      Environment: {Variables: {T: !Sub 'arn=${Table.Arn}'}}\n", table,
			"property Environment.Variables.T: !GetAtt Table.Arn: Table is a AWS::DynamoDB::Table"},
		{"      Environment: {Variables: {T: !Sub '${Nope}'}}\n", "",
			"property Environment.Variables.T: !Ref Nope: neither a parameter nor a resource of the template"},
		{"      Environment: {Variables: {T: !Join [',', [a, b]]}}\n", "",
			"property Environment.Variables.T: Fn::Join is not resolved by the emulator (it resolves Ref, Fn::Sub and Fn::GetAtt)"},
		{"      Environment: {Variables: {T: !ImportValue shared}}\n", "", "property Environment.Variables.T: Fn::ImportValue is not resolved"},
		{"      MemorySize: !If [Big, 1024, 128]\n", "", "resource Fn, property MemorySize: Fn::If is not resolved"},
		{"      Timeout: !FindInMap [M, a, b]\n", "", "resource Fn, property Timeout: Fn::FindInMap is not resolved"},
		{"      FunctionUrlConfig: {AuthType: !Select [0, [NONE]]}\n", "", "resource Fn, property FunctionUrlConfig.AuthType: Fn::Select is not resolved"},
		{"      Environment: {Variables: {T: !Ref AWS::NotificationARNs}}\n", "", "!Ref AWS::NotificationARNs: a pseudo-parameter the emulator does not know"},
		{"      Environment: {Variables: {T: !GetAtt Fn.Version}}\n", "", "!GetAtt Fn.Version: the emulator knows the Arn of a function"},
		{"      FunctionUrlConfig: {AuthType: NONE}\n      FunctionName: !GetAtt FnUrl.FunctionUrl\n", "",
			"resource Fn, property FunctionName: !GetAtt FnUrl.FunctionUrl: the emulator gives a Function URL's address to Environment.Variables only"},
		{"      Environment: {Variables: {T: !GetAtt Table.FunctionUrl}}\n", "  Table:\n    Type: AWS::Lambda::Url\n    Properties: {TargetFunctionArn: nope, AuthType: NONE}\n",
			"resource Table, property TargetFunctionArn: \"nope\" is not a function of the template"},
		{"      FunctionUrlConfig: {AuthType: NONE}\n      Environment: {Variables: {T: !GetAtt FnUrl.Bogus}}\n", "",
			"!GetAtt FnUrl.Bogus: the emulator knows the FunctionUrl and FunctionArn of a Function URL"},
		{"      Environment: {Variables: {T: !GetAtt Nope.Arn}}\n", "", "!GetAtt Nope.Arn: Nope is not a resource of the template"},
		{"      Handler: bootstrap\n", table + "  Other:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: !Ref Table, Runtime: provided.al2023}\n",
			"resource Other, property CodeUri: !Ref Table"},
		{"      Events:\n        E: {Type: Api, Properties: {Path: !Ref Table, Method: GET}}\n", table, "resource Fn, property Path: !Ref Table"},
	} {
		_, err := parseYAML(t, t.TempDir(), fnHeader+tc.props+tc.more, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "template.yaml: ") {
			t.Errorf("%s: got %v, want an error containing %q", tc.props, err, tc.want)
		}
	}
	tpl, err := parseYAML(t, t.TempDir(), fnHeader+"      Policies: [{DynamoDBCrudPolicy: {TableName: !Ref Table}}]\n"+table, nil)
	if err != nil {
		t.Fatalf("an intrinsic in a property the emulator does not apply: %v", err)
	}
	if !slices.Contains(tpl.Notes, "resource Fn: not emulated: Policies") || !slices.Contains(tpl.Notes, "resources the emulator does not run: Table (AWS::DynamoDB::Table)") {
		t.Errorf("notes: %q", tpl.Notes)
	}
}

// TestTemplateErrors: what Lambda or SAM would refuse, or the emulator
// cannot run, is an error that says so.
func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text   string
		params map[string]string
		want   string
	}{
		{"Resources: {}\n", nil, "no Resources"},
		{"Resources:\n  T: {Type: AWS::SNS::Topic}\n", nil, "no AWS::Serverless::Function or AWS::Lambda::Function resources"},
		{"Resources:\n  T: {Properties: {}}\n", nil, "resource T has no Type"},
		{"Resources: [\n", nil, "invalid YAML"},
		{fnHeader, map[string]string{"Nope": "x"}, "--parameter Nope: the template has no parameter Nope"},
		{"Parameters:\n  Env: {Type: String, AllowedValues: [dev, prod], Default: dev}\n" + fnHeader, map[string]string{"Env": "test"},
			`parameter Env: "test" is not one of its AllowedValues`},
		{fnHeader + "      FunctionUrlConfig: {AuthType: NONE}\n      Environment: {Variables: {U: !Ref FnUrl}}\n", nil,
			"!Ref FnUrl: the emulator resolves !GetAtt FnUrl.FunctionUrl and FnUrl.FunctionArn of a Function URL"},
		{strings.Replace(fnHeader, "provided.al2023", "python3.12", 1), nil, "property Runtime: python3.12; lambdagrpc functions run on provided.al2023"},
		{strings.Replace(fnHeader, "      Runtime: provided.al2023\n", "", 1), nil, "resource Fn: no Runtime"},
		{strings.Replace(fnHeader, "      CodeUri: ./fn\n", "", 1), nil, "resource Fn: no CodeUri"},
		{strings.Replace(fnHeader, "./fn", "s3://bucket/fn.zip", 1), nil, "is in S3"},
		{strings.Replace(fnHeader, "./fn", "{Bucket: b, Key: k}", 1), nil, "property CodeUri: an S3 location"},
		{fnHeader + "      PackageType: Image\n", nil, "property PackageType: Image; the emulator runs Zip functions"},
		{fnHeader + "      Architectures: [ppc64]\n", nil, `property Architectures: "ppc64"`},
		{fnHeader + "      MemorySize: 64\n", nil, "property MemorySize: 64; Lambda takes 128 to 10240"},
		{fnHeader + "      Timeout: 901\n", nil, "property Timeout: 901; Lambda takes 1 to 900"},
		{fnHeader + "      MemorySize: lots\n", nil, "resource Fn: json: cannot unmarshal"},
		{fnHeader + "      ReservedConcurrentExecutions: 0\n", nil, "ReservedConcurrentExecutions: 0 throttles every invocation"},
		{fnHeader + "      Environment: {Variables: {AWS_REGION: eu-west-1}}\n", nil, "Environment.Variables.AWS_REGION: Lambda sets AWS_REGION itself"},
		{fnHeader + "      Environment: {Variables: {LAMBDAGRPC_INVOKE_MODE: RESPONSE_STREAM}}\n", nil,
			`Environment.Variables.LAMBDAGRPC_INVOKE_MODE: "RESPONSE_STREAM", but the function's invoke mode is BUFFERED`},
		{fnHeader + "      FunctionUrlConfig: {AuthType: OPEN}\n", nil, `property FunctionUrlConfig.AuthType: "OPEN"`},
		{fnHeader + "      FunctionUrlConfig: {AuthType: NONE, InvokeMode: SOMETIMES}\n", nil, `property FunctionUrlConfig.InvokeMode: "SOMETIMES"`},
		{fnHeader + "      FunctionUrlConfig: {AuthType: NONE}\n  U:\n    Type: AWS::Lambda::Url\n    Properties: {TargetFunctionArn: !Ref Fn, AuthType: NONE}\n", nil,
			"resource U: function Fn already has a Function URL (FunctionUrlConfig)"},
		{fnHeader + "  U:\n    Type: AWS::Lambda::Url\n    Properties: {TargetFunctionArn: arn:aws:lambda:us-east-1:1:function:x, AuthType: NONE}\n", nil,
			`resource U, property TargetFunctionArn: "arn:aws:lambda:us-east-1:1:function:x" is not a function of the template`},
		{fnHeader + "      Events: {E: {Type: HttpApi, Properties: {PayloadFormatVersion: '3.0'}}}\n", nil, `Events.E.PayloadFormatVersion: "3.0"`},
		{fnHeader + "      Events: {E: {Type: Api, Properties: {Path: /x}}}\n", nil, "an Api event needs Path and Method"},
		{fnHeader + "      Events: {E: {Type: HttpApi, Properties: {ApiId: !Ref R}}}\n  R: {Type: AWS::Serverless::Api, Properties: {StageName: x}}\n", nil,
			"is not an AWS::Serverless::HttpApi of the template"},
		{fnHeader + "      Events: {E: {Type: Api, Properties: {Path: /x, Method: GET, RestApiId: !Ref R}}}\n  R: {Type: AWS::Serverless::Api}\n", nil,
			"resource R: no StageName"},
		{fnHeader + "  Other:\n    Type: AWS::Lambda::Function\n    Properties: {Code: x, Runtime: provided.al2023, FunctionName: Fn}\n", nil,
			`resources Fn and Other are both named "Fn"`},
		{"Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Code: {S3Bucket: b, S3Key: k}, Runtime: provided.al2023}\n", nil,
			"resource Fn, property Code: give a local folder, zip or bootstrap"},
	} {
		_, err := parseYAML(t, t.TempDir(), tc.text, tc.params)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s\ngot %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
}

// TestTemplateNotes: what the template holds that the emulator does not
// apply is said, not dropped.
func TestTemplateNotes(t *testing.T) {
	t.Parallel()
	text := `Globals:
  Api: {OpenApiVersion: "3.0"}
` + fnHeader + `      Tracing: Active
      FunctionUrlConfig: {AuthType: NONE, InvokeMode: RESPONSE_STREAM}
      Events:
        Q: {Type: Schedule, Properties: {Schedule: rate(1 minute)}}
        Off: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q, Enabled: false, ScalingConfig: {MaximumConcurrency: 2}}}
        H: {Type: HttpApi, Properties: {Auth: {Authorizer: NONE}}}
    Condition: IsProd
  Unused:
    Type: AWS::Serverless::HttpApi
    Properties: {StageName: x, CorsConfiguration: true}
  Queue:
    Type: AWS::SQS::Queue
`
	tpl, err := parseYAML(t, t.TempDir(), text, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"not applied: Globals.Api (the emulator reads Globals.Function)",
		"resource Fn: not emulated: Tracing",
		"resource Fn, Events.Q: events of type Schedule are not emulated; call the function through the Invoke API",
		"resource Fn, Events.Off: Enabled is false: the queue is not polled",
		"resource Fn, Events.Off: not emulated: ScalingConfig",
		"resource Fn, Events.H: not emulated: Auth",
		"resource Fn: Condition IsProd is not evaluated: the function runs",
		"resource Unused: not emulated: CorsConfiguration",
		"resource Unused (AWS::Serverless::HttpApi): no function has an event on it",
		"function Fn streams its responses (Function URL InvokeMode RESPONSE_STREAM), which its http-api event H cannot take: lambdagrpc answers events from the API's own execute-api domain buffered, but behind a custom domain it cannot tell them from Function URL events; give the API a function of its own in BUFFERED mode",
		"resource Fn: the emulator sets LAMBDAGRPC_INVOKE_MODE=RESPONSE_STREAM for its Function URL's invoke mode; set it in Environment.Variables too, or the deployed function buffers its responses (unless its code gives lambdagrpc.WithInvokeMode)",
		"resources the emulator does not run: Queue (AWS::SQS::Queue)",
	} {
		if !slices.Contains(tpl.Notes, want) {
			t.Errorf("no note %q in\n%s", want, strings.Join(tpl.Notes, "\n"))
		}
	}
}

// TestTemplateLayout gives the declared front doors consecutive ports from
// --addr's, or free ones.
func TestTemplateLayout(t *testing.T) {
	t.Parallel()
	tpl := &samTemplate{Functions: []*samFunction{
		{URL: &samURL{}, Doors: []*samDoor{{Kind: emulator.HTTPAPI}, {Kind: emulator.REST}}},
		{Doors: []*samDoor{{Kind: emulator.HTTPAPI}, {Kind: emulator.HTTPAPI}}},
		{URL: &samURL{}, URLReferenced: true},
	}}
	plans, err := layoutTemplate(tpl, "127.0.0.1", 9000)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := plans[0], plans[1], plans[2]
	if a.urlAddr != "127.0.0.1:9000" || !slices.Equal(a.doors, []string{"127.0.0.1:9001", "127.0.0.1:9002"}) ||
		b.urlAddr != "127.0.0.1:0" || !slices.Equal(b.doors, []string{"127.0.0.1:9003", "127.0.0.1:9004"}) || c.urlAddr != "127.0.0.1:9005" {
		t.Errorf("from 9000: %+v %+v %+v", a, b, c)
	}
	plans, err = layoutTemplate(tpl, "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c = plans[0], plans[1], plans[2]
	if a.urlAddr != "127.0.0.1:0" || !slices.Equal(a.doors, []string{"127.0.0.1:0", "127.0.0.1:0"}) ||
		b.doors[0] != "127.0.0.1:0" || b.doors[1] == "127.0.0.1:0" || c.urlAddr == "127.0.0.1:0" {
		t.Errorf("free ports: %+v %+v %+v (a second door of a kind, and a URL the environment takes, need a port known in advance)", a, b, c)
	}
	if _, err := layoutTemplate(tpl, "127.0.0.1", 65530); err != nil {
		t.Errorf("six doors from 65530: %v", err)
	}
	if _, err := layoutTemplate(tpl, "127.0.0.1", 65531); err == nil {
		t.Error("doors past port 65535 were laid out")
	}
}

// TestTemplateCode: a zip is unpacked and must hold an executable
// bootstrap; a binary must be executable and built for the template's
// architecture.
func TestTemplateCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	host := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
	other := map[string]string{"x86_64": "arm64", "arm64": "x86_64"}[host]
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	writeZip := func(name string, mode os.FileMode, files ...string) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		for _, n := range files {
			h := &zip.FileHeader{Name: n}
			h.SetMode(mode)
			w, err := zw.CreateHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write([]byte("#!/bin/sh\n"))
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}
	prepare := func(code, arch string) (string, string, error) {
		return prepareCode(ctx, &samFunction{LogicalID: "Fn", Code: code, Arch: arch}, dir, map[string]string{}, os.Stderr, nil)
	}
	bin, what, err := prepare(writeZip("ok.zip", 0o755, "bootstrap", "data/config.json"), host)
	if err != nil || filepath.Base(bin) != "bootstrap" || !strings.HasPrefix(what, "bootstrap from ") {
		t.Errorf("zip: %q %q %v", bin, what, err)
	} else if _, err := os.Stat(filepath.Join(filepath.Dir(bin), "data", "config.json")); err != nil {
		t.Errorf("the zip's other files were not unpacked beside bootstrap: %v", err)
	}
	for _, tc := range []struct{ code, arch, want string }{
		{writeZip("noexec.zip", 0o644, "bootstrap"), host, "bootstrap has no execute permission in the zip"},
		{writeZip("empty.zip", 0o755, "main"), host, "has no bootstrap at its root"},
		{writeZip("escape.zip", 0o755, "../bootstrap"), host, `entry "../bootstrap" is outside the zip's folder`},
		{filepath.Join(dir, "missing"), host, "no such file"},
		{dir, host, "holds neither a Go package nor a bootstrap"},
		{filepath.Join(dir, "ok.zip"), host, ""},
		{self, host, ""},
		{self, other, "built for " + host + ", but Architectures says " + other},
	} {
		_, _, err := prepare(tc.code, tc.arch)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s (%s): %v, want %q", tc.code, tc.arch, err, tc.want)
		}
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := prepare(plain, host); err == nil || !strings.Contains(err.Error(), "not an executable file") {
		t.Errorf("a file that is not executable: %v", err)
	}
	folder := filepath.Join(dir, "prebuilt")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if bin, _, err := prepare(folder, host); err != nil || bin != filepath.Join(folder, "bootstrap") {
		t.Errorf("a folder with a bootstrap: %q %v", bin, err)
	}
}

// TestEmulateTemplateErrors: --template refuses what it cannot apply before
// it starts anything.
func TestEmulateTemplateErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--template", "testdata/template.yaml", "./testdata/hello"}, "give either --template or a package or binary"},
		{[]string{"--template", "testdata/template.yaml", "--timeout", "5s", "--memory", "512"}, "--memory, --timeout: not with --template"},
		{[]string{"--template", "testdata/template.yaml", "--config", "x.json"}, "--config: not with --template"},
		{[]string{"--template", "testdata/nope.yaml"}, "no such file"},
		{[]string{"--template", "testdata/template.yaml", "--parameter", "Colour=red"}, "--parameter Colour: the template has no parameter Colour"},
		{[]string{"--template", "testdata/template.yaml", "--parameter", "Colour"}, `"Colour" is not NAME=VALUE`},
		{[]string{"--template", "testdata/template.yaml", "--addr", "nowhere"}, "--addr"},
	} {
		err := run(ctx, append([]string{"emulate"}, tc.args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("emulate %q = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// TestTemplateDependency: goformation is the CLI's; neither the library
// nor a function built with it links it.
func TestTemplateDependency(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "list", "-deps", "../../examples/greeter", "../..", "../../emulator").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range []string{"github.com/awslabs/goformation", "gopkg.in/yaml.v3"} {
		if strings.Contains(string(out), dep) {
			t.Errorf("the library or a function links %s", dep)
		}
	}
}

// TestTemplateConfig maps the test template's functions to the emulator's
// configurations.
func TestTemplateConfig(t *testing.T) {
	t.Parallel()
	tpl, err := loadTemplate("testdata/template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := layoutTemplate(tpl, "127.0.0.1", 9000)
	if err != nil {
		t.Fatal(err)
	}
	urls := templateURLs(plans)
	var cfgs []emulator.Config
	for _, p := range plans {
		cfgs = append(cfgs, p.config("/bin/"+p.fn.LogicalID, urls, 2, io.Discard, nil))
	}
	cors := &emulator.CORS{AllowOrigins: []string{"http://localhost:5173"}, AllowMethods: []string{"POST"}, AllowHeaders: []string{"*"}, MaxAge: 600}
	want := []emulator.Config{{
		Name: "lambdagrpc-local-greeter", Command: []string{"/bin/Greeter"}, Addr: "127.0.0.1:9000", InvokeMode: emulator.Buffered,
		Timeout: 10 * time.Second, MemoryMB: 256, MaxConcurrency: 2, Region: "us-east-1", AuthType: "NONE", CORS: cors,
		Env:        []string{"LAMBDAGRPC_INVOKE_MODE=BUFFERED", "GREETING=hello", "SELF_ARN=arn:aws:lambda:us-east-1:123456789012:function:lambdagrpc-local-greeter"},
		FrontDoors: []emulator.FrontDoor{{Kind: emulator.HTTPAPI, Addr: "127.0.0.1:9001", Stage: "$default"}, {Kind: emulator.REST, Addr: "127.0.0.1:9002", Stage: "Prod"}},
		Output:     io.Discard,
	}, {
		Name: "Streamer", Command: []string{"/bin/Streamer"}, Addr: "127.0.0.1:9003", InvokeMode: emulator.ResponseStream,
		Timeout: 30 * time.Second, MemoryMB: 256, MaxConcurrency: 2, Region: "us-east-1", AuthType: "NONE",
		Env:    []string{"LAMBDAGRPC_INVOKE_MODE=RESPONSE_STREAM", "GREETING=hello"},
		Output: io.Discard,
	}, {
		Name: "V1", Command: []string{"/bin/V1"}, Addr: "127.0.0.1:0", InvokeMode: emulator.Buffered,
		Timeout: 10 * time.Second, MemoryMB: 256, MaxConcurrency: 2, Region: "us-east-1",
		Env:        []string{"LAMBDAGRPC_INVOKE_MODE=BUFFERED", "GREETER_URL=http://127.0.0.1:9000/", "GREETING=hello"},
		FrontDoors: []emulator.FrontDoor{{Kind: emulator.HTTPAPIv1, Addr: "127.0.0.1:9004", Stage: "v1"}},
		Output:     io.Discard,
	}}
	if !goreflect.DeepEqual(cfgs, want) {
		for i := range cfgs {
			t.Errorf("function %d:\ngot  %+v\nwant %+v", i, cfgs[i], want[i])
		}
	}
}

// TestTemplateSQSEvents: a function's SQS events become event-source
// mappings of its emulator configuration, their queues named by ARN
// (!GetAtt of a queue of the template: its QueueName, else its logical id)
// or URL.
func TestTemplateSQSEvents(t *testing.T) {
	t.Parallel()
	text := "Parameters:\n  Size: {Type: Number, Default: 25}\n" + fnHeader + `      Events:
        Orders:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            BatchSize: !Ref Size
            MaximumBatchingWindowInSeconds: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
        Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn}}
        Local: {Type: SQS, Properties: {Queue: "http://127.0.0.1:9324/000000000000/local"}}
  Orders:
    Type: AWS::SQS::Queue
    Properties: {QueueName: orders-queue}
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true}
`
	tpl, err := parseYAML(t, t.TempDir(), text, nil)
	if err != nil {
		t.Fatal(err)
	}
	fn := tpl.Functions[0]
	want := []samQueue{
		{Event: "Jobs", Queue: "arn:aws:sqs:us-east-1:123456789012:Jobs.fifo"},
		{Event: "Local", Queue: "http://127.0.0.1:9324/000000000000/local"},
		{Event: "Orders", Queue: "arn:aws:sqs:us-east-1:123456789012:orders-queue", BatchSize: 25, Window: 2 * time.Second, ReportFailures: true},
	}
	if !goreflect.DeepEqual(fn.Queues, want) {
		t.Fatalf("queues:\ngot  %+v\nwant %+v", fn.Queues, want)
	}
	cfg := (&templatePlan{fn: fn}).config("/bin/fn", nil, 1, io.Discard, nil)
	if len(cfg.SQS) != 3 || cfg.SQS[2].QueueURL != want[2].Queue || cfg.SQS[2].BatchSize != 25 || cfg.SQS[2].BatchingWindow != 2*time.Second ||
		!cfg.SQS[2].ReportBatchItemFailures || cfg.SQS[0].ReportBatchItemFailures {
		t.Errorf("emulator mappings = %+v", cfg.SQS)
	}
	if err := cfg.Check(context.Background()); err != nil {
		t.Errorf("the mappings do not check: %v", err)
	}
	if _, err := parseYAML(t, t.TempDir(), fnHeader+"      Events:\n        Q: {Type: SQS, Properties: {BatchSize: 5}}\n", nil); err == nil || !strings.Contains(err.Error(), "needs Queue") {
		t.Errorf("an SQS event without Queue: %v", err)
	}
	if _, err := parseYAML(t, t.TempDir(), fnHeader+"      Environment: {Variables: {Q: !GetAtt Q.QueueUrl}}\n  Q: {Type: AWS::SQS::Queue}\n", nil); err == nil || !strings.Contains(err.Error(), "Arn and QueueName") {
		t.Errorf("!GetAtt Q.QueueUrl: %v", err)
	}
}
