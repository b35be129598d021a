// Command plot reads `go test -bench` output on stdin and writes an SVG bar
// chart of one metric, medians over repeated runs. Sub-benchmark names are
// read as key=value pairs: -group names the key whose values sit along the
// x axis, -series the key whose values are the bars of each group.
//
//	cd bench && go test -run '^$' -bench '^BenchmarkInvoke$' -benchmem -count 3 . |
//		go run ./cmd/plot -bench Invoke -group bytes -series path -relative-to 'improbable+api-proxy,vanguard+algnhsa' \
//		-title 'Time per invocation relative to the best peer (lower is better)' > ../docs/img/invoke.svg
//
// With -relative-to, each bar is its value divided by the smallest value of
// the named series in its group; without it, bars show the metric itself.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

type options struct {
	bench, metric, group, series, title, unit string
	relativeTo                                []string
}

func main() {
	var o options
	var rel string
	flag.StringVar(&o.bench, "bench", "", "the benchmark's name, without Benchmark (required)")
	flag.StringVar(&o.metric, "metric", "ns/op", "the metric to plot, as go test prints its unit")
	flag.StringVar(&o.group, "group", "", "the sub-benchmark key along the x axis (required)")
	flag.StringVar(&o.series, "series", "", "the sub-benchmark key of the bars in each group (none: one bar per group)")
	flag.StringVar(&rel, "relative-to", "", "comma-separated series: plot each value relative to the best of these in its group")
	flag.StringVar(&o.title, "title", "", "the chart's title")
	flag.StringVar(&o.unit, "unit", "", "the unit printed on the axis (default: the metric, or × with -relative-to)")
	flag.Parse()
	if rel != "" {
		o.relativeTo = strings.Split(rel, ",")
	}
	if o.bench == "" || o.group == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(os.Stdin, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

var resultLine = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+(.*)$`)

// parse returns the samples of o.metric by group and series, and the
// groups and series in the order they first appear.
func parse(in io.Reader, o options) (map[string]map[string][]float64, []string, []string, error) {
	samples := map[string]map[string][]float64{}
	var groups, series []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := resultLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		parts := strings.Split(m[1], "/")
		if parts[0] != o.bench {
			continue
		}
		keys := map[string]string{}
		for _, p := range parts[1:] {
			if k, v, ok := strings.Cut(p, "="); ok {
				keys[k] = v
			}
		}
		g, ok := keys[o.group]
		if !ok {
			continue
		}
		s := keys[o.series]
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i+1] != o.metric {
				continue
			}
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%s: %w", sc.Text(), err)
			}
			if samples[g] == nil {
				samples[g] = map[string][]float64{}
				groups = append(groups, g)
			}
			if !slices.Contains(series, s) {
				series = append(series, s)
			}
			samples[g][s] = append(samples[g][s], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, nil, err
	}
	if len(groups) == 0 {
		return nil, nil, nil, fmt.Errorf("no Benchmark%s results with %s=… and a %s metric on stdin", o.bench, o.group, o.metric)
	}
	return samples, groups, series, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

var palette = []string{"#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32", "#9e9e9e", "#c62828"}

func run(in io.Reader, out io.Writer, o options) error {
	samples, groups, series, err := parse(in, o)
	if err != nil {
		return err
	}
	// values[g][s] is what each bar shows.
	values := map[string]map[string]float64{}
	peak := 0.0
	for _, g := range groups {
		values[g] = map[string]float64{}
		best := math.Inf(1)
		for _, s := range o.relativeTo {
			if v := samples[g][s]; len(v) > 0 {
				best = min(best, median(v))
			}
		}
		if len(o.relativeTo) > 0 && math.IsInf(best, 1) {
			return fmt.Errorf("group %s=%s has none of the series %v", o.group, g, o.relativeTo)
		}
		for _, s := range series {
			v := samples[g][s]
			if len(v) == 0 {
				continue
			}
			x := median(v)
			if len(o.relativeTo) > 0 {
				x /= best
			}
			values[g][s] = x
			peak = max(peak, x)
		}
	}
	if peak <= 0 {
		return errors.New("nothing to plot: every value is zero")
	}
	unit := o.unit
	if unit == "" {
		unit = o.metric
		if len(o.relativeTo) > 0 {
			unit = "×"
		}
	}

	const barW, gap, left, top, plotH = 26, 36, 70, 40, 260
	groupW := barW*len(series) + gap
	w := max(left+groupW*len(groups)+20, left+170*len(series)+20, 480)
	h := top + plotH + 70
	base := float64(top + plotH)
	scale := func(v float64) float64 { return plotH * v / peak }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">%s</text>`+"\n", left, escape(o.title))
	for _, t := range ticks(peak) {
		y := base - scale(t)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, w-10, y, y, left-6, y+4, escape(format(t)+" "+unit))
	}
	x := left + gap/2
	for _, g := range groups {
		for i, s := range series {
			v, ok := values[g][s]
			if ok {
				hgt := scale(v)
				fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s %s: %s</title></rect>`+"\n",
					x, base-hgt, barW, hgt, palette[i%len(palette)], escape(s), escape(g), escape(format(v)+" "+unit))
				fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="middle" font-size="10">%s</text>`+"\n", x+barW/2, base-hgt-3, escape(format(v)))
			}
			x += barW
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="middle">%s</text>`+"\n", x-barW*len(series)/2, base+16, escape(o.group+"="+g))
		x += gap
	}
	if len(series) > 1 || series[0] != "" {
		for i, s := range series {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
				left+i*170, h-28, palette[i%len(palette)], left+i*170+16, h-18, escape(s))
		}
	}
	b.WriteString("</svg>\n")
	_, err = io.WriteString(out, b.String())
	return err
}

// ticks returns three or four round values for gridlines up to peak.
func ticks(peak float64) []float64 {
	step := math.Pow(10, math.Floor(math.Log10(peak)))
	for peak/step < 3 {
		step /= 2
	}
	for peak/step > 5 {
		step *= 2
	}
	var t []float64
	for v := step; v <= peak*1.0001; v += step {
		t = append(t, v)
	}
	return t
}

func format(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
