package cost

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// A Report sums up the REPORT lines of a Lambda log: CloudWatch's, or the
// emulator's (the same fields, each line possibly after a "[name] "
// prefix or a CloudWatch timestamp).
type Report struct {
	Lines        int     // REPORT lines read
	MeanMS       float64 // mean Duration
	MeanBilledMS float64 // mean Billed Duration
	MemoryMB     float64 // the largest Memory Size
	MaxUsedMB    float64 // the largest Max Memory Used, 0 when no line has it
	ColdStarts   int     // lines with an Init Duration
	MeanInitMS   float64 // mean Init Duration of those lines
}

// maxReportLine bounds a log line; longer lines are an error.
const maxReportLine = 1 << 20

// ParseReport reads a log and sums up its REPORT lines; other lines are
// skipped. A REPORT line without a valid Duration is an error, as is a
// log without REPORT lines.
func ParseReport(r io.Reader) (Report, error) {
	var (
		rep                Report
		sum, billed, inits float64
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxReportLine)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		i := strings.Index(line, "REPORT RequestId:")
		if i < 0 {
			continue
		}
		f, err := reportFields(line[i+len("REPORT RequestId:"):])
		if err != nil {
			return Report{}, fmt.Errorf("line %d: %w", n, err)
		}
		d, ok := f["Duration"]
		if !ok {
			return Report{}, fmt.Errorf("line %d: a REPORT line without Duration", n)
		}
		rep.Lines++
		sum += d
		if b, ok := f["Billed Duration"]; ok {
			billed += b
		} else {
			billed += math.Ceil(d)
		}
		rep.MemoryMB = max(rep.MemoryMB, f["Memory Size"])
		rep.MaxUsedMB = max(rep.MaxUsedMB, f["Max Memory Used"])
		if in, ok := f["Init Duration"]; ok {
			rep.ColdStarts++
			inits += in
		}
	}
	if err := sc.Err(); err != nil {
		return Report{}, err
	}
	if rep.Lines == 0 {
		return Report{}, errors.New("no REPORT lines")
	}
	rep.MeanMS = sum / float64(rep.Lines)
	rep.MeanBilledMS = billed / float64(rep.Lines)
	if rep.ColdStarts > 0 {
		rep.MeanInitMS = inits / float64(rep.ColdStarts)
	}
	return rep, nil
}

// reportField is one "Name: value unit" field of a REPORT line, separated
// from the others by tabs (CloudWatch, the emulator) or spaces (a copy
// from a console).
var reportField = regexp.MustCompile(`(?:^|\s)(Billed Restore Duration|Restore Duration|Billed Duration|Init Duration|Duration|Memory Size|Max Memory Used): (\S+) (ms|MB)\b`)

// reportFields reads the durations and memory sizes of a REPORT line after
// its request id. Other fields (such as XRAY TraceId) are skipped.
func reportFields(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, m := range reportField.FindAllStringSubmatch(s, -1) {
		name, num, unit := m[1], m[2], m[3]
		want := "ms"
		if strings.HasPrefix(name, "M") {
			want = "MB"
		}
		v, err := strconv.ParseFloat(num, 64)
		if unit != want || err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v > 1e9 {
			return nil, fmt.Errorf("%s %q: want a number of %s", name, num+" "+unit, want)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s twice", name)
		}
		out[name] = v
	}
	return out, nil
}
