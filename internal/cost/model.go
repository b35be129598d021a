package cost

import (
	"errors"
	"fmt"
	"math"
)

// Architectures are the instruction sets priced: Lambda's names for them.
const (
	X86 = "x86_64"
	ARM = "arm64"
)

// A Workload is what is priced: a request rate, what one request costs in
// time and memory, and the capacity model of a container.
type Workload struct {
	RPS        float64 // requests per second, steady
	DurationMS float64 // mean duration of one request, in milliseconds
	// BilledMS is Lambda's mean billed duration per request: each request
	// rounded up to the millisecond. Zero means ceil(DurationMS).
	BilledMS float64
	MemoryMB float64 // Lambda's memory size
	// NeedMB is the memory a container process needs (Max Memory Used);
	// zero means MemoryMB.
	NeedMB float64
	Arch   string // X86 or ARM

	// The capacity model of a server (a Fargate task or an instance),
	// which serves requests concurrently in one process. A vCPU serves
	// Utilization / (duration × CPUShare) requests a second, and at most
	// ConcurrencyPerVCPU / duration.
	CPUShare           float64 // fraction of a request's duration spent on a CPU
	Utilization        float64 // target CPU utilisation, below 1 for headroom
	ConcurrencyPerVCPU float64 // requests in flight per vCPU at most
	MinServers         int     // Fargate tasks and EC2 instances run at the least
	LMIMinInstances    int     // Managed Instances instances run at the least
}

// DefaultWorkload returns a workload with the capacity model's defaults:
// the whole duration on a CPU, 70 % utilisation, 8 requests in flight per
// vCPU (Managed Instances' default for provided.al2023 runtimes), one
// server, and three Managed Instances instances (one per Availability
// Zone, as Lambda places them).
func DefaultWorkload() Workload {
	return Workload{
		Arch:               ARM,
		MemoryMB:           128,
		CPUShare:           1,
		Utilization:        0.7,
		ConcurrencyPerVCPU: 8,
		MinServers:         1,
		LMIMinInstances:    3,
	}
}

// Check reports what makes w unpriceable.
func (w Workload) Check() error {
	switch {
	case w.Arch != X86 && w.Arch != ARM:
		return fmt.Errorf("architecture %q: want %s or %s", w.Arch, X86, ARM)
	case !(w.RPS >= 0) || math.IsInf(w.RPS, 0):
		return fmt.Errorf("request rate %v: want a non-negative number", w.RPS)
	case !(w.DurationMS > 0) || math.IsInf(w.DurationMS, 0):
		return fmt.Errorf("duration %v ms: want a positive number", w.DurationMS)
	case w.BilledMS < 0 || math.IsNaN(w.BilledMS):
		return fmt.Errorf("billed duration %v ms: want a non-negative number", w.BilledMS)
	case !(w.MemoryMB >= 128 && w.MemoryMB <= 10240):
		return fmt.Errorf("memory %v MB: Lambda allows 128 to 10240", w.MemoryMB)
	case w.NeedMB < 0 || math.IsNaN(w.NeedMB):
		return fmt.Errorf("memory needed %v MB: want a non-negative number", w.NeedMB)
	case !(w.CPUShare > 0 && w.CPUShare <= 1):
		return fmt.Errorf("CPU share %v: want a fraction in (0, 1]", w.CPUShare)
	case !(w.Utilization > 0 && w.Utilization <= 1):
		return fmt.Errorf("utilisation %v: want a fraction in (0, 1]", w.Utilization)
	case !(w.ConcurrencyPerVCPU >= 1):
		return fmt.Errorf("concurrency per vCPU %v: want 1 or more", w.ConcurrencyPerVCPU)
	case w.MinServers < 1 || w.LMIMinInstances < 1:
		return errors.New("minimum servers: want 1 or more")
	}
	return nil
}

// PerVCPU is the request rate one vCPU serves under w's capacity model.
func (w Workload) PerVCPU() float64 {
	d := w.DurationMS / 1000
	return min(w.Utilization/(d*w.CPUShare), w.ConcurrencyPerVCPU/d)
}

func (w Workload) needGB() float64 {
	if w.NeedMB > 0 {
		return w.NeedMB / 1024
	}
	return w.MemoryMB / 1024
}

// An Option is the monthly cost of one way of running the workload.
type Option struct {
	Name    string  // "Lambda", "Lambda Managed Instances", "Fargate", "EC2"
	Monthly float64 // US dollars a month
	Servers int     // tasks or instances; 0 for Lambda
	Size    string  // the task or instance size
	Detail  string  // how the figure is made up
}

// Option names.
const (
	Lambda  = "Lambda"
	LMI     = "Lambda Managed Instances"
	Fargate = "Fargate"
	EC2     = "EC2"
)

// Options are the names Estimate prices, in its order.
var Options = []string{Lambda, LMI, Fargate, EC2}

// Estimate prices w every way of Options.
func Estimate(w Workload, p Prices) ([]Option, error) {
	if err := w.Check(); err != nil {
		return nil, err
	}
	out := make([]Option, 0, len(Options))
	for _, name := range Options {
		o, err := Price(name, w, p)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Price prices w one way.
func Price(name string, w Workload, p Prices) (Option, error) {
	switch name {
	case Lambda:
		return lambdaCost(w, p), nil
	case LMI:
		return instanceCost(w, p, true), nil
	case Fargate:
		return fargateCost(w, p), nil
	case EC2:
		return instanceCost(w, p, false), nil
	}
	return Option{}, fmt.Errorf("unknown option %q", name)
}

// lambdaCost: requests × the request price + requests × billed seconds ×
// memory in GB × the GB-second price of the architecture.
func lambdaCost(w Workload, p Prices) Option {
	billed := w.BilledMS
	if billed == 0 {
		billed = math.Ceil(w.DurationMS)
	}
	req := w.RPS * SecondsPerMonth
	gbs := req * billed / 1000 * w.MemoryMB / 1024
	reqCost := req * p["lambda.request"]
	gbsCost := gbs * p["lambda.gb-second."+w.Arch]
	return Option{
		Name:    Lambda,
		Monthly: reqCost + gbsCost,
		Size:    fmt.Sprintf("%g MB", w.MemoryMB),
		Detail:  fmt.Sprintf("%.4g requests $%.2f + %.4g GB-s $%.2f", req, reqCost, gbs, gbsCost),
	}
}

// servers is how many servers of vcpu vCPUs w needs: enough for its
// request rate, and at least least.
func servers(w Workload, vcpu float64, least int) int {
	n := int(math.Ceil(w.RPS / (vcpu * w.PerVCPU())))
	return max(n, least)
}

// A fargateSize is a task size Fargate offers: vCPUs and the memory
// choices that go with them, in GB.
type fargateSize struct {
	vcpu               float64
	minGB, maxGB, step float64
}

// fargateSizes are Fargate's task sizes for Linux tasks.
var fargateSizes = []fargateSize{
	{0.25, 0.5, 2, 0.5}, // 0.5, 1 and 2 GB
	{0.5, 1, 4, 1},
	{1, 2, 8, 1},
	{2, 4, 16, 1},
	{4, 8, 30, 1},
	{8, 16, 60, 4},
	{16, 32, 120, 8},
}

// fargateCost picks the cheapest of, for each task size, the smallest
// memory that holds the process, times the tasks the rate needs.
func fargateCost(w Workload, p Prices) Option {
	need := w.needGB()
	best := Option{Name: Fargate, Monthly: math.Inf(1)}
	vh, gh := p["fargate.vcpu-hour."+w.Arch], p["fargate.gb-hour."+w.Arch]
	for _, s := range fargateSizes {
		gb := s.minGB
		for gb < need && gb < s.maxGB {
			gb += s.step
			if s.vcpu == 0.25 && gb == 1.5 {
				gb = 2
			}
		}
		if gb < need {
			continue
		}
		n := servers(w, s.vcpu, w.MinServers)
		hourly := s.vcpu*vh + gb*gh
		if m := float64(n) * hourly * HoursPerMonth; m < best.Monthly {
			best.Monthly, best.Servers = m, n
			best.Size = fmt.Sprintf("%g vCPU %g GB", s.vcpu, gb)
			best.Detail = fmt.Sprintf("%d × (%g vCPU × $%g + %g GB × $%g) × %d h", n, s.vcpu, vh, gb, gh, HoursPerMonth)
		}
	}
	return best
}

// An instanceSize is a size of an instance family, priced as a multiple
// of the family's large.
type instanceSize struct {
	name  string
	vcpu  float64
	gib   float64
	times float64
}

// mSizes are the sizes of the M7 families (4 GiB a vCPU) the model picks
// from; each costs its vCPUs over two times the large's price.
var mSizes = []instanceSize{
	{"large", 2, 8, 1},
	{"xlarge", 4, 16, 2},
	{"2xlarge", 8, 32, 4},
	{"4xlarge", 16, 64, 8},
}

// Family is the instance family EC2 and Managed Instances are priced on
// for arch: m7g for arm64, m7i for x86_64.
func Family(arch string) string {
	if arch == X86 {
		return "m7i"
	}
	return "m7g"
}

// instanceCost picks the cheapest size of the architecture's family, with
// the instances the rate needs. Managed Instances add the management fee
// and the request charge, and run at least LMIMinInstances.
func instanceCost(w Workload, p Prices, lmi bool) Option {
	fam := Family(w.Arch)
	large := p["ec2."+fam+".large"]
	name, least := EC2, w.MinServers
	if lmi {
		name, least = LMI, w.LMIMinInstances
	}
	best := Option{Name: name, Monthly: math.Inf(1)}
	for _, s := range mSizes {
		if s.gib < w.needGB() {
			continue
		}
		n := servers(w, s.vcpu, least)
		hourly := large * s.times
		m := float64(n) * hourly * HoursPerMonth
		detail := fmt.Sprintf("%d × $%.4g × %d h", n, hourly, HoursPerMonth)
		if lmi {
			fee := m * p["lmi.management-fee"]
			req := w.RPS * SecondsPerMonth * p["lmi.request"]
			detail = fmt.Sprintf("%s = $%.2f, + %g%% fee $%.2f, + requests $%.2f", detail, m, p["lmi.management-fee"]*100, fee, req)
			m += fee + req
		}
		if m < best.Monthly {
			best.Monthly, best.Servers = m, n
			best.Size = fam + "." + s.name
			best.Detail = detail
		}
	}
	return best
}

// BreakEven is the lowest request rate at which option name costs no more
// than Lambda, and false when there is none below maxRPS. Lambda's cost is
// proportional to the rate, k × r. A server option's is a step function
// S(r) that never falls as r grows, plus a × r for its own request charge
// (Managed Instances). From r₀ = S(0)/(k−a), each step is
// rᵢ₊₁ = S(rᵢ)/(k−a): below rᵢ₊₁ Lambda costs less than S(rᵢ) + a × r ≤
// S(r) + a × r, so the first rate where S(rᵢ₊₁) = S(rᵢ) is the break-even.
func BreakEven(name string, w Workload, p Prices, maxRPS float64) (float64, bool) {
	var a float64
	if name == LMI {
		a = SecondsPerMonth * p["lmi.request"]
	}
	steps := func(r float64) float64 {
		w := w
		w.RPS = r
		o, _ := Price(name, w, p)
		return o.Monthly - a*r
	}
	w1 := w
	w1.RPS = 1
	k := lambdaCost(w1, p).Monthly - a
	if k <= 0 {
		return 0, false
	}
	s := steps(0)
	for range 100000 {
		r := s / k
		if r > maxRPS {
			return 0, false
		}
		next := steps(r)
		if next <= s*(1+1e-9) {
			return r, true
		}
		s = next
	}
	return 0, false
}
