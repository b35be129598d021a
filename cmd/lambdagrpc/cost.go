package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdagrpc/lambdagrpc/internal/cost"
)

// priceFlags collects repeated --price key=value flags.
type priceFlags []string

func (p *priceFlags) String() string     { return strings.Join(*p, ",") }
func (p *priceFlags) Set(s string) error { *p = append(*p, s); return nil }

// maxBreakEvenRPS bounds the search for a break-even rate.
const maxBreakEvenRPS = 1e6

func costCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := cost.DefaultWorkload()
	rps := fs.Float64("rps", 0, "requests per second, steady (or --per-month)")
	perMonth := fs.Float64("per-month", 0, "requests per month (730 hours), instead of --rps")
	duration := fs.Duration("duration", 0, "mean duration of one request, e.g. 12ms (or --report-log)")
	memory := fs.Int("memory", 0, "the function's memory size in MB (default 128, or the log's Memory Size)")
	need := fs.Int("need-memory", 0, "memory a container process needs, in MB (default: the log's Max Memory Used, else --memory)")
	arch := fs.String("arch", def.Arch, "architecture: arm64 or x86_64 (amd64)")
	reportLog := fs.String("report-log", "", "a Lambda log (the emulator's or CloudWatch's) to take the mean duration and the memory from its REPORT lines; - for stdin")
	var prices priceFlags
	fs.Var(&prices, "price", "override a price, key=value in US dollars (repeatable; --list-prices shows the keys)")
	pricesFile := fs.String("prices", "", "a JSON file of prices to override, {\"key\": value, …}")
	listPrices := fs.Bool("list-prices", false, "print the price table with its sources and exit")
	cpuShare := fs.Float64("cpu-share", def.CPUShare, "capacity model: the fraction of a request's duration spent on a CPU (1 for CPU-bound, less when it waits on I/O)")
	util := fs.Float64("utilization", def.Utilization, "capacity model: the CPU utilisation a container or instance is sized for")
	conc := fs.Float64("concurrency-per-vcpu", def.ConcurrencyPerVCPU, "capacity model: requests in flight per vCPU at most")
	minServers := fs.Int("min-servers", def.MinServers, "Fargate tasks and EC2 instances to run at the least")
	lmiMin := fs.Int("lmi-min-instances", def.LMIMinInstances, "Managed Instances instances to run at the least (Lambda spreads them over three Availability Zones)")
	svg := fs.String("svg", "", "write a chart of monthly cost against request rate to this SVG file")
	maxRPS := fs.Float64("chart-max-rps", 0, "the chart's largest request rate (default: past the break-evens and the given rate)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: lambdagrpc cost [--rps N | --per-month N] [--duration D | --report-log FILE] [flags]")
		fmt.Fprintln(fs.Output(), "\nPrices a function on Lambda on-demand, Lambda Managed Instances, Fargate and EC2 at a request rate,")
		fmt.Fprintln(fs.Output(), "with the rate at which each container option becomes cheaper than Lambda. See docs/cost.md.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errors.New("cost takes no arguments")
	}
	p := cost.Default()
	if *pricesFile != "" {
		data, err := os.ReadFile(*pricesFile)
		if err != nil {
			return err
		}
		if err := p.SetJSON(data); err != nil {
			return fmt.Errorf("%s: %w", *pricesFile, err)
		}
	}
	for _, kv := range prices {
		if err := p.Set(kv); err != nil {
			return err
		}
	}
	if *listPrices {
		return printPrices(stdout, p)
	}

	w := def
	w.CPUShare, w.Utilization, w.ConcurrencyPerVCPU = *cpuShare, *util, *conc
	w.MinServers, w.LMIMinInstances = *minServers, *lmiMin
	switch *arch {
	case "arm64":
		w.Arch = cost.ARM
	case "x86_64", "amd64":
		w.Arch = cost.X86
	default:
		return fmt.Errorf("unknown architecture %q: use arm64 or x86_64", *arch)
	}
	switch {
	case *rps > 0 && *perMonth > 0:
		return errors.New("give --rps or --per-month, not both")
	case *perMonth > 0:
		w.RPS = *perMonth / cost.SecondsPerMonth
	case *rps > 0:
		w.RPS = *rps
	default:
		return errors.New("give the request rate: --rps or --per-month")
	}
	var source string
	if *reportLog != "" {
		rep, err := readReport(*reportLog, os.Stdin)
		if err != nil {
			return err
		}
		w.DurationMS, w.BilledMS = rep.MeanMS, rep.MeanBilledMS
		w.MemoryMB, w.NeedMB = rep.MemoryMB, rep.MaxUsedMB
		source = fmt.Sprintf("measured: %d REPORT lines of %s, %d with an Init Duration (mean %.1f ms, not counted)",
			rep.Lines, *reportLog, rep.ColdStarts, rep.MeanInitMS)
	}
	if *duration > 0 {
		w.DurationMS, w.BilledMS = float64(*duration)/float64(time.Millisecond), 0
	}
	if w.DurationMS == 0 {
		return errors.New("give the mean duration: --duration or --report-log")
	}
	if *memory > 0 {
		w.MemoryMB = float64(*memory)
	}
	if w.MemoryMB == 0 {
		w.MemoryMB = def.MemoryMB
	}
	if *need > 0 {
		w.NeedMB = float64(*need)
	}
	opts, err := cost.Estimate(w, p)
	if err != nil {
		return err
	}
	breaks := map[string]float64{}
	for _, o := range opts[1:] {
		if r, ok := cost.BreakEven(o.Name, w, p, maxBreakEvenRPS); ok {
			breaks[o.Name] = r
		}
	}
	if err := printCost(stdout, w, source, opts, breaks); err != nil {
		return err
	}
	if *svg != "" {
		f, err := os.Create(*svg)
		if err != nil {
			return err
		}
		if err := costChart(f, w, p, breaks, *maxRPS); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "chart: %s\n", *svg)
	}
	return nil
}

// readReport parses the REPORT lines of file, or of stdin for "-".
func readReport(file string, stdin io.Reader) (cost.Report, error) {
	r := stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return cost.Report{}, err
		}
		defer f.Close()
		r = f
	}
	rep, err := cost.ParseReport(r)
	if err != nil {
		return cost.Report{}, fmt.Errorf("%s: %w", file, err)
	}
	return rep, nil
}

func printCost(out io.Writer, w cost.Workload, source string, opts []cost.Option, breaks map[string]float64) error {
	billed := w.BilledMS
	if billed == 0 {
		billed = math.Ceil(w.DurationMS)
	}
	need := w.NeedMB
	if need == 0 {
		need = w.MemoryMB
	}
	fmt.Fprintf(out, "workload: %s req/s (%.4g a month), %.2f ms mean (%.2f ms billed), %g MB (%g MB needed), %s\n",
		num(w.RPS), w.RPS*cost.SecondsPerMonth, w.DurationMS, billed, w.MemoryMB, need, w.Arch)
	if source != "" {
		fmt.Fprintln(out, source)
	}
	fmt.Fprintf(out, "capacity: one vCPU serves %s req/s (sized for %.0f%% CPU, %.0f%% of a request's duration on a CPU, at most %g in flight)\n",
		num(w.PerVCPU()), w.Utilization*100, w.CPUShare*100, w.ConcurrencyPerVCPU)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "option\t$/month\tservers\tsize\tbreak-even\thow")
	for _, o := range opts {
		servers, be := "-", "-"
		if o.Name != cost.Lambda {
			servers = fmt.Sprint(o.Servers)
			be = "none below 1e6 req/s"
			if r, ok := breaks[o.Name]; ok {
				be = num(r) + " req/s"
			}
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\t%s\t%s\n", o.Name, o.Monthly, servers, o.Size, be, o.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "break-even: the lowest rate at which the option costs no more than Lambda.\n")
	fmt.Fprintf(out, "prices: US East, on-demand, no free tier, read %s (--list-prices shows them and their sources)\n", cost.TableDate)
	return nil
}

// num formats a rate with three significant digits, without an exponent
// below a million.
func num(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3g", v)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func printPrices(out io.Writer, p cost.Prices) error {
	fmt.Fprintf(out, "prices read %s (US East, Linux, on-demand); override with --price key=value or --prices FILE\n", cost.TableDate)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "key\tUSD\tper\tsource")
	for _, e := range cost.Table {
		mark := ""
		if p[e.Key] != e.Value {
			mark = " (overridden; table: " + usd(e.Value) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\n", e.Key, usd(p[e.Key]), mark, e.Unit, e.Source)
	}
	return tw.Flush()
}

// usd formats a price in full, without an exponent.
func usd(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
