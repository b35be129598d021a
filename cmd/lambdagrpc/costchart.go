package main

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/lambdagrpc/lambdagrpc/internal/cost"
)

// costColors are the lines' colours, in the order of cost.Options.
var costColors = []color.Color{
	color.RGBA{0xef, 0x6c, 0x00, 0xff}, // Lambda
	color.RGBA{0x6a, 0x1b, 0x9a, 0xff}, // Managed Instances
	color.RGBA{0x15, 0x65, 0xc0, 0xff}, // Fargate
	color.RGBA{0x2e, 0x7d, 0x32, 0xff}, // EC2
}

// chartSamples is the number of rates each line is drawn through.
const chartSamples = 400

// costChart draws the monthly cost of each option against the request
// rate, from zero to maxRPS (0: a little past the given rate and the
// break-evens), with each break-even marked on Lambda's line and the given
// rate as a dashed vertical line.
func costChart(out io.Writer, w cost.Workload, p cost.Prices, breaks map[string]float64, maxRPS float64) error {
	if maxRPS <= 0 {
		maxRPS = 2 * w.RPS
		for _, r := range breaks {
			maxRPS = max(maxRPS, 1.5*r)
		}
		maxRPS = niceCeil(max(maxRPS, 1))
	}
	px := vg.Length(0.75) // vgsvg's unit is the point
	sans := func(size vg.Length) font.Font {
		return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
	}
	pl := plot.New()
	pl.Title.Text = fmt.Sprintf("Monthly cost at %.2f ms a request, %g MB, %s", w.DurationMS, w.MemoryMB, w.Arch)
	pl.Title.TextStyle.Font = sans(14 * px)
	pl.X.Label.Text = "requests per second"
	pl.Y.Label.Text = "US dollars a month"
	for _, a := range []*plot.Axis{&pl.X, &pl.Y} {
		a.Label.TextStyle.Font = sans(12 * px)
		a.Tick.Label.Font = sans(11 * px)
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xee}
	grid.Horizontal.Color = color.Gray{Y: 0xdd}
	pl.Add(grid)
	pl.Legend.Top, pl.Legend.Left = true, true
	pl.Legend.TextStyle.Font = sans(11 * px)
	pl.Legend.ThumbnailWidth = 16 * px

	var lambdaAt func(float64) float64
	for i, name := range cost.Options {
		pts := make(plotter.XYs, chartSamples+1)
		for j := range pts {
			r := maxRPS * float64(j) / chartSamples
			ww := w
			ww.RPS = r
			o, err := cost.Price(name, ww, p)
			if err != nil {
				return err
			}
			pts[j] = plotter.XY{X: r, Y: o.Monthly}
		}
		if name == cost.Lambda {
			lambdaAt = func(r float64) float64 {
				ww := w
				ww.RPS = r
				o, _ := cost.Price(cost.Lambda, ww, p)
				return o.Monthly
			}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = costColors[i%len(costColors)]
		l.Width = 2 * px
		pl.Add(l)
		pl.Legend.Add(name, l)
	}
	var marks plotter.XYs
	var labels []string
	for _, name := range cost.Options[1:] {
		r, ok := breaks[name]
		if !ok || r > maxRPS {
			continue
		}
		marks = append(marks, plotter.XY{X: r, Y: lambdaAt(r)})
		labels = append(labels, fmt.Sprintf("%s = Lambda at %s req/s", short(name), num(r)))
	}
	if len(marks) > 0 {
		sc, err := plotter.NewScatter(marks)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: 4 * px, Shape: draw.CircleGlyph{}}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: marks, Labels: labels})
		if err != nil {
			return err
		}
		for j := range lb.TextStyle {
			lb.TextStyle[j].Font = sans(11 * px)
		}
		lb.Offset = vg.Point{X: 7 * px, Y: -14 * px}
		pl.Add(sc, lb)
	}
	if w.RPS > 0 && w.RPS <= maxRPS {
		// The rate asked about: a dashed vertical line, labelled half-way up.
		top := 0.0
		for _, name := range cost.Options {
			ww := w
			ww.RPS = maxRPS
			o, err := cost.Price(name, ww, p)
			if err != nil {
				return err
			}
			top = max(top, o.Monthly)
		}
		at, err := plotter.NewLine(plotter.XYs{{X: w.RPS, Y: 0}, {X: w.RPS, Y: top}})
		if err != nil {
			return err
		}
		at.Color = color.Gray{Y: 0x88}
		at.Width = px
		at.Dashes = []vg.Length{4 * px, 3 * px}
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: w.RPS, Y: top / 2}}, Labels: []string{num(w.RPS) + " req/s"}})
		if err != nil {
			return err
		}
		lb.TextStyle[0].Font = sans(11 * px)
		lb.TextStyle[0].Color = color.Gray{Y: 0x55}
		lb.Offset = vg.Point{X: 4 * px, Y: -12 * px}
		pl.Add(at, lb)
	}
	pl.X.Min, pl.Y.Min = 0, 0
	pl.X.Max = maxRPS
	c := vgsvg.New(720*px, 440*px)
	pl.Draw(draw.Crop(draw.New(c), 6*px, -16*px, 6*px, -6*px))
	_, err := c.WriteTo(out)
	return err
}

// short is an option's name for a label.
func short(name string) string {
	if name == cost.LMI {
		return "Managed Instances"
	}
	return name
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}
