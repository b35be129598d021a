package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkInvoke/bytes=16/path=floor-2         	   100	     10000 ns/op	    3240 B/op	      50 allocs/op
BenchmarkInvoke/bytes=16/path=fast-2          	   100	     20000 ns/op	    6000 B/op	      90 allocs/op
BenchmarkInvoke/bytes=16/path=fast-2          	   100	     22000 ns/op	    6000 B/op	      90 allocs/op
BenchmarkInvoke/bytes=16/path=fast-2          	   100	     90000 ns/op	    6000 B/op	      90 allocs/op
BenchmarkInvoke/bytes=16/path=peer-2          	   100	     40000 ns/op	   12000 B/op	     200 allocs/op
BenchmarkInvoke/bytes=1024/path=peer-2        	   100	     50000 ns/op	   12000 B/op	     200 allocs/op
BenchmarkColdStart/fn=hello-2                 	     1	 5000 ns/op	 6.288 MB	 1.6 next-p50-ms
BenchmarkInvoke/bytes=1024/path=fast-2        	   100	     25000 ns/op	   12000 B/op	     200 allocs/op
`

func TestParseAndRelative(t *testing.T) {
	o := options{bench: "Invoke", metric: "ns/op", group: "bytes", series: "path", relativeTo: []string{"peer"}}
	samples, groups, series, err := parse(strings.NewReader(sample), o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(groups, ",") != "16,1024" || strings.Join(series, ",") != "floor,fast,peer" {
		t.Fatalf("groups %v, series %v", groups, series)
	}
	if got := median(samples["16"]["fast"]); got != 22000 {
		t.Fatalf("median %v, want 22000", got)
	}
	var out strings.Builder
	if err := run(strings.NewReader(sample), &out, o); err != nil {
		t.Fatal(err)
	}
	// fast at 16 B: 22000/40000; at 1 KiB: 25000/50000.
	if !strings.Contains(out.String(), "fast 16: 0.55 ×") || !strings.Contains(out.String(), "fast 1024: 0.50 ×") {
		t.Fatalf("svg lacks the expected ratios:\n%s", out.String())
	}
}

func TestOtherMetricAndErrors(t *testing.T) {
	var out strings.Builder
	if err := run(strings.NewReader(sample), &out, options{bench: "ColdStart", metric: "next-p50-ms", group: "fn"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "hello: 1.60 next-p50-ms") {
		t.Fatalf("svg:\n%s", out.String())
	}
	if err := run(strings.NewReader(sample), &out, options{bench: "Nope", metric: "ns/op", group: "x"}); err == nil {
		t.Fatal("no error for a benchmark that is not there")
	}
	if err := run(strings.NewReader(sample), &out, options{bench: "Invoke", metric: "ns/op", group: "bytes", series: "path", relativeTo: []string{"missing"}}); err == nil {
		t.Fatal("no error for a missing reference series")
	}
}
