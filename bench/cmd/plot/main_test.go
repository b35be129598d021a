package main

import (
	"math"
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
	o := options{bench: "Invoke", metric: "ns/op", group: "bytes", series: "path", relativeTo: []string{"peer"}, title: "Time <relative>"}
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
	ch, err := summarize(strings.NewReader(sample), o)
	if err != nil {
		t.Fatal(err)
	}
	// fast at 16 B: 22000/40000; at 1 KiB: 25000/50000. floor has no 1 KiB
	// result.
	if v := ch.values["16"]; v["fast"] != 0.55 || v["floor"] != 0.25 || v["peer"] != 1 {
		t.Fatalf("16 B bars %v", v)
	}
	if v := ch.values["1024"]; v["fast"] != 0.5 || v["peer"] != 1 || len(v) != 2 {
		t.Fatalf("1 KiB bars %v", v)
	}
	if ch.peak != 1 || ch.unit != "×" {
		t.Fatalf("peak %v, unit %q", ch.peak, ch.unit)
	}
	var out strings.Builder
	if err := run(strings.NewReader(sample), &out, o); err != nil {
		t.Fatal(err)
	}
	svg := out.String()
	for _, want := range []string{"<svg", ">0.55</text>", ">0.50</text>", ">0.25</text>", ">1.00 ×</text>",
		">bytes=16</text>", ">bytes=1024</text>", ">floor</text>", ">fast</text>", ">peer</text>", ">Time &lt;relative&gt;</text>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the svg lacks %s:\n%s", want, svg)
		}
	}
}

func TestOtherMetricAndErrors(t *testing.T) {
	var out strings.Builder
	if err := run(strings.NewReader(sample), &out, options{bench: "ColdStart", metric: "next-p50-ms", group: "fn"}); err != nil {
		t.Fatal(err)
	}
	if svg := out.String(); !strings.Contains(svg, ">fn=hello</text>") || !strings.Contains(svg, ">1.60</text>") || !strings.Contains(svg, " next-p50-ms</text>") {
		t.Fatalf("svg:\n%s", svg)
	}
	if err := run(strings.NewReader(sample), &out, options{bench: "Nope", metric: "ns/op", group: "x"}); err == nil {
		t.Fatal("no error for a benchmark that is not there")
	}
	if err := run(strings.NewReader(sample), &out, options{bench: "Invoke", metric: "ns/op", group: "bytes", series: "path", relativeTo: []string{"missing"}}); err == nil {
		t.Fatal("no error for a missing reference series")
	}
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		peak float64
		want []float64
	}{
		{1, []float64{0.25, 0.5, 0.75, 1}},
		{1.4997, []float64{0.5, 1, 1.5}},
		{272, []float64{100, 200, 300}},
		{22.5, []float64{5, 10, 15, 20, 25}},
	} {
		got := ticks(c.peak)
		if len(got) != len(c.want) {
			t.Errorf("ticks(%v) = %v, want %v", c.peak, got, c.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-9 {
				t.Errorf("ticks(%v) = %v, want %v", c.peak, got, c.want)
			}
		}
	}
}
