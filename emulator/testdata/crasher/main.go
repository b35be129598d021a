// Command crasher is a raw Lambda runtime for the emulator's tests. It
// answers every invocation with a fixed response that names its process,
// except for these request bodies:
//
//   - "crash" makes it exit mid-invocation;
//   - "hang" makes the worker that took it never answer;
//   - "abandon" makes the worker leave it unanswered and poll for the next
//     invocation at once, as a runtime that gave up on it would;
//   - "wait:PATH" makes the worker answer once the file PATH exists.
//
// It runs AWS_LAMBDA_MAX_CONCURRENCY workers (default 1). It prints
// "start PID" when it starts and "got BODY" when a worker takes an
// invocation. Its environment can make it fail its init instead:
// CRASHER_INIT_EXIT=N exits with status N before the first poll, and
// CRASHER_INIT_ERROR=1 reports an init error, polls once more and prints the
// status code of that poll ("next after init error: CODE").
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	api := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/"
	fmt.Printf("start %d\n", os.Getpid())
	if n, err := strconv.Atoi(os.Getenv("CRASHER_INIT_EXIT")); err == nil {
		os.Exit(n)
	}
	if os.Getenv("CRASHER_INIT_ERROR") != "" {
		req, _ := http.NewRequest(http.MethodPost, api+"init/error", strings.NewReader(`{"errorMessage":"no config","errorType":"Crasher.InitFailed"}`))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Crasher.InitFailed")
		r, err := http.DefaultClient.Do(req)
		if err == nil {
			r.Body.Close()
		}
		r, err = http.Get(api + "invocation/next")
		if err != nil {
			fmt.Printf("next after init error: %v\n", err)
			os.Exit(1)
		}
		r.Body.Close()
		fmt.Printf("next after init error: %d\n", r.StatusCode)
		os.Exit(0)
	}
	n, _ := strconv.Atoi(os.Getenv("AWS_LAMBDA_MAX_CONCURRENCY"))
	var wg sync.WaitGroup
	for range max(n, 1) {
		wg.Go(func() { worker(api + "invocation/") })
	}
	wg.Wait()
}

func worker(base string) {
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			os.Exit(1)
		}
		var event struct {
			Body            string `json:"body"`
			IsBase64Encoded bool   `json:"isBase64Encoded"`
		}
		_ = json.Unmarshal(raw, &event)
		body := event.Body
		if event.IsBase64Encoded {
			b, _ := base64.StdEncoding.DecodeString(body)
			body = string(b)
		}
		fmt.Printf("got %s\n", body)
		switch {
		case body == "crash":
			os.Exit(2)
		case body == "hang":
			select {}
		case body == "abandon":
			continue
		case strings.HasPrefix(body, "wait:"):
			for {
				if _, err := os.Stat(strings.TrimPrefix(body, "wait:")); err == nil {
					break
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		out := `{"statusCode":200,"headers":{"content-type":"text/plain","x-pid":"` + strconv.Itoa(os.Getpid()) + `"},"body":"ok"}`
		r, err := http.Post(base+id+"/response", "application/json", bytes.NewReader([]byte(out)))
		if err != nil {
			os.Exit(1)
		}
		r.Body.Close()
	}
}
