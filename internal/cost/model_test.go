package cost

import (
	"math"
	"testing"
)

// near reports whether got is want to within a millionth of it.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want))
}

// workload is 5 req/s of 100 ms, 512 MB: the hand-computed cases below
// start from it.
func workload(arch string) Workload {
	w := DefaultWorkload()
	w.Arch, w.RPS, w.DurationMS, w.MemoryMB = arch, 5, 100, 512
	return w
}

func TestCostLambda(t *testing.T) {
	t.Parallel()
	p := Default()
	for _, tc := range []struct {
		arch string
		rps  float64
		want float64
	}{
		// 10 req/s × 2,628,000 s = 26,280,000 requests.
		// requests: 26,280,000 × $0.0000002 = $5.256
		// GB-s: 26,280,000 × 0.1 s × 0.5 GB = 1,314,000
		// x86_64: 1,314,000 × $0.0000166667 = $21.9000438; total $27.1560438
		{X86, 10, 27.1560438},
		// arm64: 1,314,000 × $0.0000133334 = $17.5200876; total $22.7760876
		{ARM, 10, 22.7760876},
		// No requests, no cost.
		{ARM, 0, 0},
	} {
		w := workload(tc.arch)
		w.RPS = tc.rps
		o, err := Price(Lambda, w, p)
		if err != nil {
			t.Fatal(err)
		}
		if !near(o.Monthly, tc.want) {
			t.Errorf("%s at %g req/s: $%.7f a month, want $%.7f", tc.arch, tc.rps, o.Monthly, tc.want)
		}
	}
}

func TestCostLambdaBilledRoundsUp(t *testing.T) {
	t.Parallel()
	// 1 req/s of 0.4 ms at 1024 MB, billed 1 ms: 2,628,000 requests,
	// $0.5256 for them, 2,628,000 × 0.001 s × 1 GB = 2,628 GB-s ×
	// $0.0000133334 = $0.03504017..., total $0.56064017...
	w := workload(ARM)
	w.RPS, w.DurationMS, w.MemoryMB = 1, 0.4, 1024
	o, _ := Price(Lambda, w, Default())
	if want := 0.5256 + 2628*0.0000133334; !near(o.Monthly, want) {
		t.Errorf("$%.8f, want $%.8f", o.Monthly, want)
	}
}

func TestCostServers(t *testing.T) {
	t.Parallel()
	p := Default()
	// The capacity model: a vCPU serves min(0.7 / (0.1 s × 1), 8 / 0.1 s)
	// = min(7, 80) = 7 req/s. The process needs 512 MB = 0.5 GB.
	for _, tc := range []struct {
		name, arch string
		rps        float64
		want       float64
		servers    int
		size       string
	}{
		// Fargate x86_64 at 5 req/s:
		//   0.25 vCPU (1.75 req/s), 0.5 GB: ceil(5/1.75) = 3 tasks ×
		//     (0.25 × $0.04048 + 0.5 × $0.004445 = $0.0123425) × 730 h = $27.030075
		//   0.5 vCPU, 1 GB: 2 tasks × $0.024685 × 730 = $36.04
		//   1 vCPU, 2 GB: 1 task × $0.04937 × 730 = $36.04
		// The cheapest is the first.
		{Fargate, X86, 5, 27.030075, 3, "0.25 vCPU 0.5 GB"},
		// Fargate arm64 at 5 req/s: 3 × (0.25 × $0.03238 + 0.5 × $0.00356
		// = $0.009875) × 730 = $21.62625.
		{Fargate, ARM, 5, 21.62625, 3, "0.25 vCPU 0.5 GB"},
		// EC2 arm64 at 5 req/s: one m7g.large (2 vCPU: 14 req/s),
		// $0.0816 × 730 h = $59.568.
		{EC2, ARM, 5, 59.568, 1, "m7g.large"},
		// EC2 x86_64 at 30 req/s: ceil(30/14) = 3 m7i.large,
		// 3 × $0.1008 × 730 = $220.752 (2 xlarge: 4 large's worth).
		{EC2, X86, 30, 220.752, 3, "m7i.large"},
		// Managed Instances arm64 at 5 req/s: three m7g.large at the least,
		// 3 × $0.0816 × 730 = $178.704, the 15 % fee $26.8056, and
		// 5 × 2,628,000 × $0.0000002 = $2.628 of requests: $208.1376.
		{LMI, ARM, 5, 208.1376, 3, "m7g.large"},
	} {
		w := workload(tc.arch)
		w.RPS = tc.rps
		o, err := Price(tc.name, w, p)
		if err != nil {
			t.Fatal(err)
		}
		if !near(o.Monthly, tc.want) || o.Servers != tc.servers || o.Size != tc.size {
			t.Errorf("%s %s at %g req/s: $%.6f, %d × %s; want $%.6f, %d × %s",
				tc.name, tc.arch, tc.rps, o.Monthly, o.Servers, o.Size, tc.want, tc.servers, tc.size)
		}
	}
}

func TestCostFargateMemory(t *testing.T) {
	t.Parallel()
	// A process of 3000 MB (2.93 GB) at 1 req/s: 0.25 vCPU offers at most
	// 2 GB; 0.5 vCPU with 3 GB: 1 × (0.5 × $0.03238 + 3 × $0.00356 =
	// $0.02687) × 730 = $19.6151.
	w := workload(ARM)
	w.RPS, w.NeedMB = 1, 3000
	o, _ := Price(Fargate, w, Default())
	if !near(o.Monthly, 19.6151) || o.Size != "0.5 vCPU 3 GB" {
		t.Errorf("$%.4f, %s; want $19.6151, 0.5 vCPU 3 GB", o.Monthly, o.Size)
	}
}

func TestCostBreakEven(t *testing.T) {
	t.Parallel()
	p := Default()
	// 10 ms requests that spend a tenth of it on a CPU, 128 MB, arm64.
	// A vCPU serves min(0.7 / 0.001 s, 8 / 0.01 s) = 700 req/s.
	// Lambda costs k = 2,628,000 × ($0.0000002 + 0.01 s × 0.125 GB ×
	// $0.0000133334) = $0.569400219 a month per req/s.
	w := DefaultWorkload()
	w.RPS, w.DurationMS, w.MemoryMB, w.CPUShare = 1, 10, 128, 0.1
	for _, tc := range []struct {
		name string
		want float64
		ok   bool
	}{
		// One 0.25 vCPU, 0.5 GB task ($7.20875, 175 req/s): 7.20875 / k
		// = 12.66025154 req/s, within the first task's capacity.
		{Fargate, 12.66025154, true},
		// One m7g.large ($59.568, 1400 req/s): 59.568 / k = 104.6153444.
		{EC2, 104.6153444, true},
		// Managed Instances charge the same $0.0000002 a request, so only
		// Lambda's GB-seconds, k − a = $0.043800219 per req/s, pay for the
		// instances: 3 × $59.568 × 1.15 / 0.043800219 = 4,692 req/s, past
		// the 4,200 req/s of three; each further m7g.large costs $68.50 for
		// 1,400 req/s, $0.0489 per req/s, more than $0.0438: no break-even.
		{LMI, 0, false},
	} {
		got, ok := BreakEven(tc.name, w, p, 1e6)
		if ok != tc.ok || !near(got, tc.want) {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}

	// At 100 ms on a CPU and 512 MB: k = 2,628,000 × ($0.0000002 + 0.05
	// GB-s × $0.0000133334) = $2.2776 per req/s, while EC2 costs $59.568
	// per 14 req/s, $4.25 per req/s: EC2 never catches up.
	if r, ok := BreakEven(EC2, workload(ARM), p, 1e6); ok {
		t.Errorf("EC2 at 100 ms on a CPU: break-even at %v req/s, want none", r)
	}
}

// TestCostBreakEvenIsFirstCrossing checks BreakEven against a scan: below
// it Lambda is cheaper, at it the option is not dearer.
func TestCostBreakEvenIsFirstCrossing(t *testing.T) {
	t.Parallel()
	p := Default()
	for _, share := range []float64{0.05, 0.2, 0.5} {
		for _, name := range []string{Fargate, EC2} {
			w := DefaultWorkload()
			w.DurationMS, w.MemoryMB, w.CPUShare = 20, 256, share
			r, ok := BreakEven(name, w, p, 1e6)
			if !ok {
				continue
			}
			at := func(rps float64) (lambda, other float64) {
				w := w
				w.RPS = rps
				l, _ := Price(Lambda, w, p)
				o, _ := Price(name, w, p)
				return l.Monthly, o.Monthly
			}
			if l, o := at(r); o > l*(1+1e-9) {
				t.Errorf("%s, share %v: at %v req/s $%v, Lambda $%v", name, share, r, o, l)
			}
			for i := range 1000 {
				x := r * float64(i) / 1000
				if l, o := at(x); o <= l {
					t.Fatalf("%s, share %v: break-even %v, but already at %v req/s $%v ≤ Lambda's $%v", name, share, r, x, o, l)
				}
			}
		}
	}
}

func TestCostCheck(t *testing.T) {
	t.Parallel()
	for _, mod := range []func(*Workload){
		func(w *Workload) { w.Arch = "sparc" },
		func(w *Workload) { w.RPS = -1 },
		func(w *Workload) { w.RPS = math.NaN() },
		func(w *Workload) { w.DurationMS = 0 },
		func(w *Workload) { w.MemoryMB = 64 },
		func(w *Workload) { w.CPUShare = 0 },
		func(w *Workload) { w.Utilization = 1.5 },
		func(w *Workload) { w.ConcurrencyPerVCPU = 0 },
		func(w *Workload) { w.MinServers = 0 },
	} {
		w := workload(ARM)
		mod(&w)
		if _, err := Estimate(w, Default()); err == nil {
			t.Errorf("%+v: no error", w)
		}
	}
}

func TestCostPriceOverrides(t *testing.T) {
	t.Parallel()
	p := Default()
	if err := p.Set("lambda.gb-second.arm64=0.00002"); err != nil {
		t.Fatal(err)
	}
	if err := p.SetJSON([]byte(`{"lambda.request": 0.0000004}`)); err != nil {
		t.Fatal(err)
	}
	// 10 req/s of 100 ms at 512 MB: 26,280,000 × $0.0000004 = $10.512
	// and 1,314,000 GB-s × $0.00002 = $26.28: $36.792.
	w := workload(ARM)
	w.RPS = 10
	if o, _ := Price(Lambda, w, p); !near(o.Monthly, 36.792) {
		t.Errorf("$%v, want $36.792", o.Monthly)
	}
	for _, bad := range []string{"lambda.gb-second=1", "lambda.request", "lambda.request=-1", "lambda.request=x", "lambda.request=NaN"} {
		if err := Default().Set(bad); err == nil {
			t.Errorf("Set(%q): no error", bad)
		}
	}
	for _, bad := range []string{`{"nope": 1}`, `[1]`, `{"lambda.request": -1}`} {
		if err := Default().SetJSON([]byte(bad)); err == nil {
			t.Errorf("SetJSON(%s): no error", bad)
		}
	}
}

func TestCostTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, e := range Table {
		if seen[e.Key] || e.Value <= 0 || e.Unit == "" || e.Source == "" {
			t.Errorf("%+v: a duplicate key, or without value, unit or source", e)
		}
		seen[e.Key] = true
	}
	// Every key the model reads is in the table.
	for _, arch := range []string{X86, ARM} {
		for _, k := range []string{"lambda.gb-second." + arch, "fargate.vcpu-hour." + arch, "fargate.gb-hour." + arch, "ec2." + Family(arch) + ".large"} {
			if !seen[k] {
				t.Errorf("%s missing from the table", k)
			}
		}
	}
}
