package cost

import (
	"math"
	"strings"
	"testing"
)

func TestCostParseReport(t *testing.T) {
	t.Parallel()
	log := strings.Join([]string{
		// The emulator's lines, after the function's name.
		"[greeter] START RequestId: a Version: $LATEST",
		"[greeter] REPORT RequestId: a\tDuration: 7.43 ms\tBilled Duration: 8 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\tInit Duration: 71.02 ms",
		"[greeter] REPORT RequestId: b\tDuration: 1.04 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB",
		// CloudWatch's, with a timestamp, X-Ray fields and a trailing tab.
		"2026-11-30T08:00:00.000Z REPORT RequestId: c\tDuration: 2.53 ms\tBilled Duration: 3 ms\tMemory Size: 256 MB\tMax Memory Used: 18 MB\t\nXRAY TraceId: 1-x\tSegmentId: y\tSampled: true\t",
		// Copied from a console: spaces for tabs, no Billed Duration.
		"REPORT RequestId: d  Duration: 5.00 ms  Memory Size: 128 MB",
		"END RequestId: d",
	}, "\n")
	rep, err := ParseReport(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	// Durations 7.43 + 1.04 + 2.53 + 5.00 = 16.00 ms over 4 lines: 4 ms.
	// Billed 8 + 2 + 3 + ceil(5.00) = 18 ms over 4: 4.5 ms.
	want := Report{Lines: 4, MeanMS: 4, MeanBilledMS: 4.5, MemoryMB: 256, MaxUsedMB: 20, ColdStarts: 1, MeanInitMS: 71.02}
	if rep.Lines != want.Lines || !near(rep.MeanMS, want.MeanMS) || !near(rep.MeanBilledMS, want.MeanBilledMS) ||
		rep.MemoryMB != want.MemoryMB || rep.MaxUsedMB != want.MaxUsedMB || rep.ColdStarts != want.ColdStarts || !near(rep.MeanInitMS, want.MeanInitMS) {
		t.Errorf("%+v, want %+v", rep, want)
	}
}

func TestCostParseReportErrors(t *testing.T) {
	t.Parallel()
	for _, log := range []string{
		"",
		"START RequestId: a\nEND RequestId: a\n",
		"REPORT RequestId: a\tBilled Duration: 3 ms",
		"REPORT RequestId: a\tDuration: abc ms",
		"REPORT RequestId: a\tDuration: 3 MB",
		"REPORT RequestId: a\tDuration: -3 ms",
		"REPORT RequestId: a\tDuration: 1e300 ms",
		"REPORT RequestId: a\tDuration: 3 ms\tDuration: 4 ms",
		"REPORT RequestId: a\tDuration: 3 ms\tMemory Size: 12 ms",
		"REPORT RequestId: a\tDuration: 3 ms " + strings.Repeat("x", maxReportLine),
	} {
		if rep, err := ParseReport(strings.NewReader(log)); err == nil {
			t.Errorf("%.60q: %+v, no error", log, rep)
		}
	}
}

// FuzzCostParseReport: whatever the log, ParseReport neither panics nor
// returns a summary that could not come from REPORT lines.
func FuzzCostParseReport(f *testing.F) {
	f.Add("[greeter] REPORT RequestId: a\tDuration: 7.43 ms\tBilled Duration: 8 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\tInit Duration: 71.02 ms\n")
	f.Add("REPORT RequestId: d  Duration: 5.00 ms  Memory Size: 128 MB")
	f.Add("REPORT RequestId: a\tDuration: 0x1p3 ms\tDuration: 4 ms")
	f.Add("REPORT RequestId:REPORT RequestId: Duration: Inf ms")
	f.Fuzz(func(t *testing.T, log string) {
		rep, err := ParseReport(strings.NewReader(log))
		if err != nil {
			return
		}
		if rep.Lines < 1 || rep.ColdStarts > rep.Lines || strings.Count(log, "REPORT RequestId:") < rep.Lines {
			t.Fatalf("%+v from %q", rep, log)
		}
		for _, v := range []float64{rep.MeanMS, rep.MeanBilledMS, rep.MemoryMB, rep.MaxUsedMB, rep.MeanInitMS} {
			if v < 0 || v > 1e9 || math.IsNaN(v) {
				t.Fatalf("%+v from %q", rep, log)
			}
		}
	})
}
