// Command plot reads `go test -bench` output on stdin and writes an SVG
// chart of BenchmarkInvoke: for each payload, each path's time relative to
// the best peer (lower is better), medians over repeated runs.
//
//	cd bench && go test -run '^$' -bench '^BenchmarkInvoke$' -benchmem -count 3 . | go run ./cmd/plot > ../docs/img/invoke.svg
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^BenchmarkInvoke/bytes=(\d+)/path=(\S+?)-\d+\s+\d+\s+([\d.]+) ns/op`)

var paths = []string{"floor", "lambdagrpc", "improbable+api-proxy", "vanguard+algnhsa"}
var colors = map[string]string{"floor": "#9e9e9e", "lambdagrpc": "#1565c0", "improbable+api-proxy": "#ef6c00", "vanguard+algnhsa": "#6a1b9a"}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func run(in io.Reader, out io.Writer) error {
	samples := map[string]map[string][]float64{}
	var sizes []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[3], 64)
		if samples[m[1]] == nil {
			samples[m[1]] = map[string][]float64{}
			sizes = append(sizes, m[1])
		}
		samples[m[1]][m[2]] = append(samples[m[1]][m[2]], ns)
	}
	if len(sizes) == 0 {
		return fmt.Errorf("no BenchmarkInvoke lines on stdin")
	}
	const w, h, top, left, barW, gap = 760, 360, 40, 60, 28, 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">Time per invocation relative to the best peer (lower is better)</text>`+"\n", left)
	const maxRatio = 1.5
	scale := func(r float64) float64 { return float64(h-top-60) * min(r, maxRatio) / maxRatio }
	base := float64(h - 60)
	for _, r := range []float64{0.5, 1.0, 1.5} {
		y := base - scale(r)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.1f×</text>`+"\n", left, w-20, y, y, left-6, y+4, r)
	}
	x := left + 20
	for _, size := range sizes {
		best := 0.0
		for _, p := range paths[2:] {
			if v := samples[size][p]; len(v) > 0 && (best == 0 || median(v) < best) {
				best = median(v)
			}
		}
		for _, p := range paths {
			v := samples[size][p]
			if len(v) == 0 || best == 0 {
				continue
			}
			r := median(v) / best
			hgt := scale(r)
			fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s %s B: %.2f×</title></rect>`+"\n", x, base-hgt, barW, hgt, colors[p], p, size, r)
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="middle" font-size="10">%.2f</text>`+"\n", x+barW/2, base-hgt-3, r)
			x += barW
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="middle">%s B</text>`+"\n", x-2*barW, base+16, size)
		x += gap
	}
	for i, p := range paths {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", left+i*170, h-20, colors[p], left+i*170+16, h-10, p)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(out, b.String())
	return err
}
