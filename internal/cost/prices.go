// Package cost prices a request-serving function on AWS Lambda on-demand,
// Lambda Managed Instances, Fargate and EC2 at a given request rate, and
// finds the rate at which a container option becomes cheaper than Lambda.
// The lambdagrpc cost command is its user interface.
package cost

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// TableDate is the day the prices of Table were read from their sources.
const TableDate = "2026-11-30"

// An Entry is one entry of the price table: its key, its value in US
// dollars per Unit, and where it was read.
type Entry struct {
	Key    string
	Value  float64
	Unit   string
	Source string // the page the value was read from
	Note   string // what the source says beyond the number, or a caveat
}

// Table holds every price the model uses: US East (N. Virginia), Linux,
// on-demand, without free tiers, Savings Plans or Reserved Instances. All
// were read on TableDate. Override them with Prices.Set.
var Table = []Entry{
	{
		Key: "lambda.request", Value: 0.20 / 1e6, Unit: "request",
		Source: "https://aws.amazon.com/lambda/pricing/",
		Note:   "$0.20 per 1M requests, both architectures (the page renders its rate table in the browser; the figures as transcribed by https://git.mcrn.ar/mariano/lambda_local_runner/src/branch/main/docs/lambdas-md/lambda-13-cost.md)",
	},
	{
		Key: "lambda.gb-second.x86_64", Value: 0.0000166667, Unit: "GB-second",
		Source: "https://aws.amazon.com/lambda/pricing/",
		Note:   "first tier (up to 6 billion GB-seconds a month), x86; transcribed as for lambda.request",
	},
	{
		Key: "lambda.gb-second.arm64", Value: 0.0000133334, Unit: "GB-second",
		Source: "https://aws.amazon.com/lambda/pricing/",
		Note:   "first tier, Arm (Graviton2); transcribed as for lambda.request",
	},
	{
		Key: "lmi.request", Value: 0.20 / 1e6, Unit: "request",
		Source: "https://aws.amazon.com/lambda/pricing/",
		Note:   `Managed Instances "Request charges: $0.20 per million requests", as quoted by https://github.com/api-evangelist/aws-lambda (plans/aws-lambda-plans-pricing.yml)`,
	},
	{
		Key: "lmi.management-fee", Value: 0.15, Unit: "fraction of the EC2 on-demand price",
		Source: "https://aws.amazon.com/lambda/pricing/",
		Note:   `Managed Instances "Compute management fee: 15% premium on the EC2 on-demand instance price", quoted as for lmi.request; no duration charge`,
	},
	{
		Key: "fargate.vcpu-hour.x86_64", Value: 0.04048, Unit: "vCPU-hour",
		Source: "https://www.vantage.sh/blog/fargate-pricing",
		Note:   "Linux/x86, per second with a 1-minute minimum; the same rate as https://aws.amazon.com/ecs/pricing/'s $0.000011244 per vCPU-second",
	},
	{
		Key: "fargate.gb-hour.x86_64", Value: 0.004445, Unit: "GB-hour",
		Source: "https://www.vantage.sh/blog/fargate-pricing",
		Note:   "Linux/x86; 20 GB of ephemeral storage included",
	},
	{
		Key: "fargate.vcpu-hour.arm64", Value: 0.03238, Unit: "vCPU-hour",
		Source: "https://www.vantage.sh/blog/fargate-pricing",
		Note:   "Linux/ARM",
	},
	{
		Key: "fargate.gb-hour.arm64", Value: 0.00356, Unit: "GB-hour",
		Source: "https://www.vantage.sh/blog/fargate-pricing",
		Note:   "Linux/ARM",
	},
	{
		Key: "ec2.m7g.large", Value: 0.0816, Unit: "instance-hour",
		Source: "https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/",
		Note:   "Linux m7g.large (2 vCPU, 8 GiB, Graviton3), us-east-1, June 2026; larger sizes cost proportionally more",
	},
	{
		Key: "ec2.m7i.large", Value: 0.1008, Unit: "instance-hour",
		Source: "https://aws.amazon.com/ec2/pricing/on-demand/",
		Note:   "Linux m7i.large (2 vCPU, 8 GiB), us-east-1; no page read on the table's date showed this figure, so check it and override it with --price ec2.m7i.large=…",
	},
}

// HoursPerMonth is the month AWS's price examples use: 730 hours.
const HoursPerMonth = 730

// SecondsPerMonth is HoursPerMonth in seconds.
const SecondsPerMonth = HoursPerMonth * 3600

// Prices maps a price key of Table to its value in US dollars.
type Prices map[string]float64

// Default returns the prices of Table.
func Default() Prices {
	p := Prices{}
	for _, e := range Table {
		p[e.Key] = e.Value
	}
	return p
}

// Set overrides one price from "key=value". The key must be one of
// Table's, and the value a non-negative number.
func (p Prices) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("price %q: want key=value", kv)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return fmt.Errorf("price %q: %w", kv, err)
	}
	return p.set(strings.TrimSpace(k), f)
}

func (p Prices) set(k string, f float64) error {
	if _, ok := p[k]; !ok {
		return fmt.Errorf("unknown price %q; the keys are %s", k, strings.Join(slices.Sorted(maps.Keys(p)), ", "))
	}
	if f < 0 || f != f || f > 1e9 {
		return fmt.Errorf("price %s=%v: want a non-negative number", k, f)
	}
	p[k] = f
	return nil
}

// SetJSON overrides prices from a JSON object of key to number, such as
// {"lambda.gb-second.arm64": 0.0000133334}.
func (p Prices) SetJSON(data []byte) error {
	var m map[string]float64
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := p.set(k, m[k]); err != nil {
			return err
		}
	}
	return nil
}
