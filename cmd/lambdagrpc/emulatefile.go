package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/lambdagrpc/lambdagrpc/emulator"
)

// emulateFile is the JSON of `lambdagrpc emulate --config`. See
// docs/emulator.md for an example.
type emulateFile struct {
	// InvokeAddr is where the shared Invoke API listens.
	InvokeAddr string `json:"invokeAddr"`
	// Functions are the functions to run.
	Functions []emulateFunction `json:"functions"`
}

// emulateFunction is one function of an emulateFile. Durations are Go
// duration strings ("30s"); omitted fields take emulator.Config's defaults.
type emulateFunction struct {
	Name        string               `json:"name"`
	Package     string               `json:"package"`
	Command     []string             `json:"command"`
	Addr        string               `json:"addr"`
	InvokeMode  emulator.InvokeMode  `json:"invokeMode"`
	Timeout     string               `json:"timeout"`
	InitTimeout string               `json:"initTimeout"`
	MemoryMB    int                  `json:"memory"`
	Concurrency int                  `json:"concurrency"`
	Reserved    int                  `json:"reservedConcurrency"`
	Region      string               `json:"region"`
	Env         map[string]string    `json:"env"`
	FrontDoors  []emulator.FrontDoor `json:"frontDoors"`
	CORS        *emulator.CORS       `json:"cors"`
	AuthType    string               `json:"authType"`
	Watch       bool                 `json:"watch"`
	SQS         []emulateSQS         `json:"sqs"`
}

// emulateSQS is an SQS event-source mapping of an emulateFunction (see
// emulator.SQSMapping). ReportBatchItemFailures defaults to true, as
// lambdagrpc functions report failed records.
type emulateSQS struct {
	QueueURL                string `json:"queueUrl"`
	Endpoint                string `json:"endpoint"`
	BatchSize               int    `json:"batchSize"`
	BatchingWindow          string `json:"batchingWindow"`
	ReportBatchItemFailures *bool  `json:"reportBatchItemFailures"`
}

// loadEmulateFile reads an emulateFile and returns the Invoke API address
// and the functions' configurations. Unknown fields are errors; the values
// themselves are checked by emulator.StartSet.
func loadEmulateFile(path string) (string, []emulator.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", nil, err
	}
	var f emulateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return "", nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(f.Functions) == 0 {
		return "", nil, fmt.Errorf("%s: no functions", path)
	}
	var cfgs []emulator.Config
	for i, fn := range f.Functions {
		where := fmt.Sprintf("%s: function %d (%q)", path, i+1, fn.Name)
		if (fn.Package == "") == (len(fn.Command) == 0) {
			return "", nil, fmt.Errorf("%s: give exactly one of package and command", where)
		}
		cfg := emulator.Config{
			Name: fn.Name, Package: fn.Package, Command: fn.Command, Addr: fn.Addr, InvokeMode: fn.InvokeMode,
			MemoryMB: fn.MemoryMB, MaxConcurrency: fn.Concurrency, ReservedConcurrency: fn.Reserved, Region: fn.Region,
			FrontDoors: fn.FrontDoors, CORS: fn.CORS, AuthType: fn.AuthType, Watch: fn.Watch,
		}
		for _, d := range []struct {
			s   string
			dst *time.Duration
		}{{fn.Timeout, &cfg.Timeout}, {fn.InitTimeout, &cfg.InitTimeout}} {
			if d.s == "" {
				continue
			}
			v, err := time.ParseDuration(d.s)
			if err != nil {
				return "", nil, fmt.Errorf("%s: %w", where, err)
			}
			*d.dst = v
		}
		for j, q := range fn.SQS {
			m := emulator.SQSMapping{QueueURL: q.QueueURL, Endpoint: q.Endpoint, BatchSize: q.BatchSize, ReportBatchItemFailures: q.ReportBatchItemFailures == nil || *q.ReportBatchItemFailures}
			if q.BatchingWindow != "" {
				d, err := time.ParseDuration(q.BatchingWindow)
				if err != nil {
					return "", nil, fmt.Errorf("%s: sqs %d: batchingWindow: %w", where, j+1, err)
				}
				m.BatchingWindow = d
			}
			cfg.SQS = append(cfg.SQS, m)
		}
		keys := make([]string, 0, len(fn.Env))
		for k := range fn.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cfg.Env = append(cfg.Env, k+"="+fn.Env[k])
		}
		cfgs = append(cfgs, cfg)
	}
	return f.InvokeAddr, cfgs, nil
}
