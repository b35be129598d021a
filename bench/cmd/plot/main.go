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
// The chart is drawn with gonum.org/v1/plot.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
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

// palette colours the series in order of first appearance.
var palette = []color.RGBA{
	{0x15, 0x65, 0xc0, 0xff}, {0xef, 0x6c, 0x00, 0xff}, {0x6a, 0x1b, 0x9a, 0xff},
	{0x2e, 0x7d, 0x32, 0xff}, {0x9e, 0x9e, 0x9e, 0xff}, {0xc6, 0x28, 0x28, 0xff},
}

// chart is what the bars show: values[g][s] for group g and series s (absent
// when s has no result in g), the largest of them, and the axis unit.
type chart struct {
	groups, series []string
	values         map[string]map[string]float64
	peak           float64
	unit           string
}

// summarize reads the benchmark output and computes the bars: medians,
// divided by the best of the -relative-to series in their group if given.
func summarize(in io.Reader, o options) (*chart, error) {
	samples, groups, series, err := parse(in, o)
	if err != nil {
		return nil, err
	}
	ch := &chart{groups: groups, series: series, values: map[string]map[string]float64{}}
	for _, g := range groups {
		ch.values[g] = map[string]float64{}
		best := math.Inf(1)
		for _, s := range o.relativeTo {
			if v := samples[g][s]; len(v) > 0 {
				best = min(best, median(v))
			}
		}
		if len(o.relativeTo) > 0 && math.IsInf(best, 1) {
			return nil, fmt.Errorf("group %s=%s has none of the series %v", o.group, g, o.relativeTo)
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
			ch.values[g][s] = x
			ch.peak = max(ch.peak, x)
		}
	}
	if ch.peak <= 0 {
		return nil, errors.New("nothing to plot: every value is zero")
	}
	ch.unit = o.unit
	if ch.unit == "" {
		ch.unit = o.metric
		if len(o.relativeTo) > 0 {
			ch.unit = "×"
		}
	}
	return ch, nil
}

// Chart geometry, in CSS pixels (px) so the SVG shows at the size it had
// before: groups of bars side by side, one bar per series, value labels on
// the bars, and the legend in a row below the chart.
const (
	px       = vg.Length(0.75) // vgsvg's unit is the point
	barW     = 26 * px
	groupGap = 36 * px
	legendW  = 170 * px
	legendH  = 30 * px
)

func run(in io.Reader, out io.Writer, o options) error {
	ch, err := summarize(in, o)
	if err != nil {
		return err
	}
	sans := func(size vg.Length) font.Font {
		return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
	}

	p := plot.New()
	p.Title.Text = o.title
	p.Title.TextStyle.Font = sans(14 * px)
	p.Title.Padding = 10 * px
	p.X.Tick.Label.Font = sans(12 * px)
	p.Y.Tick.Label.Font = sans(12 * px)
	p.Y.Tick.Marker = unitTicks{peak: ch.peak, unit: ch.unit}
	p.Y.Tick.Width = 0 // no tick marks
	p.Y.Width = 0      // no axis line: the gridlines and the bars show the scale
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal = draw.LineStyle{Color: color.Gray{Y: 0xdd}, Width: px}
	p.Add(grid)

	n := len(ch.series)
	bars := make([]*plotter.BarChart, n)
	for i, s := range ch.series {
		vals := make(plotter.Values, len(ch.groups))
		var at plotter.XYs
		var labels []string
		for gi, g := range ch.groups {
			if v, ok := ch.values[g][s]; ok {
				vals[gi] = v
				at = append(at, plotter.XY{X: float64(gi), Y: v})
				labels = append(labels, format(v))
			}
		}
		b, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return err
		}
		b.Color = palette[i%len(palette)]
		b.LineStyle.Width = 0
		b.Offset = (vg.Length(i) - vg.Length(n-1)/2) * barW
		bars[i] = b
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: at, Labels: labels})
		if err != nil {
			return err
		}
		for j := range l.TextStyle {
			l.TextStyle[j].Font = sans(10 * px)
			l.TextStyle[j].XAlign = text.XCenter
		}
		l.Offset = vg.Point{X: b.Offset, Y: 3 * px}
		p.Add(b, l)
	}
	names := make([]string, len(ch.groups))
	for i, g := range ch.groups {
		names[i] = o.group + "=" + g
	}
	p.NominalX(names...)
	// Each group in a slot of its own, centred; the value axis from zero to
	// the first gridline at or above every bar.
	p.X.Min, p.X.Max = -0.5, float64(len(ch.groups))-0.5
	t := ticks(ch.peak)
	p.Y.Min, p.Y.Max = 0, max(p.Y.Max, t[len(t)-1])

	groupW := barW*vg.Length(n) + groupGap
	titleW := p.Title.TextStyle.Rectangle(o.title).Size().X
	w := max(70*px+groupW*vg.Length(len(ch.groups))+20*px, 70*px+legendW*vg.Length(n)+20*px, titleW+40*px, 480*px)
	h := 370 * px
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	legend := n > 1 || ch.series[0] != ""
	chartArea := dc
	if legend {
		chartArea = draw.Crop(dc, 0, 0, legendH, 0)
	}
	p.Draw(draw.Crop(chartArea, 10*px, -10*px, 0, -10*px))
	if legend {
		// One single-entry legend per series, side by side: gonum's legend
		// lists its entries in a column.
		for i, s := range ch.series {
			l := plot.NewLegend()
			l.TextStyle.Font = sans(12 * px)
			l.Left, l.Top = true, true
			l.ThumbnailWidth = 12 * px
			l.Add(s, bars[i])
			x := 70*px + vg.Length(i)*legendW
			l.Draw(draw.Canvas{Canvas: c, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: 0},
				Max: vg.Point{X: x + legendW, Y: legendH - 6*px},
			}})
		}
	}
	_, err = c.WriteTo(out)
	return err
}

// unitTicks marks the value axis with round values up to the peak, each
// labelled with the unit.
type unitTicks struct {
	peak float64
	unit string
}

// Ticks implements plot.Ticker.
func (t unitTicks) Ticks(_, _ float64) []plot.Tick {
	ts := []plot.Tick{{Value: 0, Label: "0"}}
	for _, v := range ticks(t.peak) {
		ts = append(ts, plot.Tick{Value: v, Label: format(v) + " " + t.unit})
	}
	return ts
}

// ticks returns three to six round values for gridlines, the last one at
// or above peak.
func ticks(peak float64) []float64 {
	step := math.Pow(10, math.Floor(math.Log10(peak)))
	for peak/step < 3 {
		step /= 2
	}
	for peak/step > 5 {
		step *= 2
	}
	var t []float64
	for i := 1.0; ; i++ {
		t = append(t, i*step)
		if i*step >= peak*0.9999 {
			return t
		}
	}
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
