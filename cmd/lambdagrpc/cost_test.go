package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// costRun runs lambdagrpc cost with args and returns its stdout.
func costRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"cost"}, args...), &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

// costLine returns the line of out that starts with prefix.
func costLine(t *testing.T, out, prefix string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, prefix) {
			return strings.Join(strings.Fields(line), " ")
		}
	}
	t.Fatalf("no %q line in\n%s", prefix, out)
	return ""
}

func TestCostCommand(t *testing.T) {
	t.Parallel()
	// 10 req/s of 100 ms at 512 MB on x86_64: $27.16 on Lambda (see
	// internal/cost's TestCostLambda for the hand computation).
	out, err := costRun(t, "--rps", "10", "--duration", "100ms", "--memory", "512", "--arch", "x86_64")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := costLine(t, out, "Lambda "); !strings.HasPrefix(got, "Lambda 27.16 - 512 MB -") {
		t.Errorf("Lambda line %q, want $27.16", got)
	}
	// The same rate given per month: 26,280,000 requests.
	out2, err := costRun(t, "--per-month", "26280000", "--duration", "100ms", "--memory", "512", "--arch", "amd64")
	if err != nil {
		t.Fatalf("%v\n%s", err, out2)
	}
	if out2 != out {
		t.Errorf("--per-month 26280000 differs from --rps 10:\n%s\n%s", out2, out)
	}
}

func TestCostCommandPriceOverrides(t *testing.T) {
	t.Parallel()
	// With requests at $0.0000004 and arm64 GB-seconds at $0.00002, 10
	// req/s of 100 ms at 512 MB cost $10.512 + $26.28 = $36.79.
	file := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(file, []byte(`{"lambda.request": 0.0000004, "lambda.gb-second.arm64": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := costRun(t, "--rps", "10", "--duration", "100ms", "--memory", "512", "--prices", file, "--price", "lambda.gb-second.arm64=0.00002")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := costLine(t, out, "Lambda "); !strings.HasPrefix(got, "Lambda 36.79 ") {
		t.Errorf("Lambda line %q, want $36.79", got)
	}
	out, err = costRun(t, "--list-prices", "--price", "ec2.m7g.large=0.1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := costLine(t, out, "ec2.m7g.large "); !strings.Contains(got, "0.1 (overridden; table: 0.0816)") {
		t.Errorf("--list-prices line %q does not show the override", got)
	}
	if got := costLine(t, out, "lambda.gb-second.x86_64 "); !strings.Contains(got, "https://aws.amazon.com/lambda/pricing/") {
		t.Errorf("--list-prices line %q names no source", got)
	}
}

func TestCostCommandReportLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "report.log")
	// Mean duration (7.43 + 1.04 + 2.53) / 3 = 3.6667 ms, billed (8 + 2 +
	// 3) / 3 = 4.3333 ms, 128 MB, at most 20 MB used.
	err := os.WriteFile(log, []byte(
		"[greeter] REPORT RequestId: a\tDuration: 7.43 ms\tBilled Duration: 8 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\tInit Duration: 71.02 ms\n"+
			"[greeter] REPORT RequestId: b\tDuration: 1.04 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\n"+
			"[greeter] REPORT RequestId: c\tDuration: 2.53 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	svg := filepath.Join(dir, "cost.svg")
	out, err := costRun(t, "--rps", "100", "--report-log", log, "--cpu-share", "0.1", "--svg", svg)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := costLine(t, out, "workload:"); got != "workload: 100 req/s (2.628e+08 a month), 3.67 ms mean (4.33 ms billed), 128 MB (20 MB needed), arm64" {
		t.Errorf("workload line %q", got)
	}
	// 2.628e8 requests: $52.56; 2.628e8 × 0.0043333 s × 0.125 GB = 142,350
	// GB-s × $0.0000133334 = $1.898: $54.46.
	if got := costLine(t, out, "Lambda "); !strings.HasPrefix(got, "Lambda 54.46 ") {
		t.Errorf("Lambda line %q, want $54.46", got)
	}
	// Fargate: one 0.25 vCPU, 0.5 GB arm64 task, $7.20875 a month, breaks
	// even at 7.20875 / $0.54463 per req/s = 13.2 req/s.
	if got := costLine(t, out, "Fargate "); !strings.HasPrefix(got, "Fargate 7.21 1 0.25 vCPU 0.5 GB 13.2 req/s") {
		t.Errorf("Fargate line %q", got)
	}
	data, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "requests per second", "Fargate = Lambda at 13.2 req/s", "Lambda Managed Instances"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the chart has no %q", want)
		}
	}
	// --duration wins over the log's.
	out, err = costRun(t, "--rps", "100", "--report-log", log, "--duration", "10ms")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := costLine(t, out, "workload:"); !strings.Contains(got, "10.00 ms mean (10.00 ms billed), 128 MB (20 MB needed)") {
		t.Errorf("workload line %q", got)
	}
}

func TestCostCommandErrors(t *testing.T) {
	t.Parallel()
	empty := filepath.Join(t.TempDir(), "empty.log")
	if err := os.WriteFile(empty, []byte("START RequestId: a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--duration", "10ms"},
		{"--rps", "1"},
		{"--rps", "1", "--per-month", "5", "--duration", "10ms"},
		{"--rps", "1", "--duration", "10ms", "--arch", "riscv"},
		{"--rps", "1", "--duration", "10ms", "--memory", "64"},
		{"--rps", "1", "--duration", "10ms", "--price", "nope=1"},
		{"--rps", "1", "--duration", "10ms", "--prices", empty},
		{"--rps", "1", "--report-log", empty},
		{"--rps", "1", "--duration", "10ms", "extra"},
	} {
		if out, err := costRun(t, args...); err == nil {
			t.Errorf("cost %s: no error\n%s", strings.Join(args, " "), out)
		}
	}
	if _, err := costRun(t, "-h"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("cost -h: %v, want flag.ErrHelp", err)
	}
}

// TestCostDocsChart: docs/img/cost.svg is what the command in docs/cost.md
// draws from the greeter's measured log.
func TestCostDocsChart(t *testing.T) {
	t.Parallel()
	svg := filepath.Join(t.TempDir(), "cost.svg")
	if out, err := costRun(t, "--rps", "10", "--report-log", "../../docs/data/greeter-report.log", "--svg", svg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	got, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../docs/img/cost.svg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/img/cost.svg differs from the chart the command in docs/cost.md draws: run it again")
	}
}
