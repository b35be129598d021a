// Command crasher is a raw Lambda runtime for the emulator's tests: it
// answers every invocation with a fixed response, except that an event whose
// body says "crash" makes it exit mid-invocation and one that says "hang"
// makes it never answer.
package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if bytes.Contains(event, []byte(`"body":"Y3Jhc2g="`)) { // base64 of "crash"
			os.Exit(2)
		}
		if bytes.Contains(event, []byte(`"body":"aGFuZw=="`)) { // base64 of "hang"
			select {}
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		out := `{"statusCode":200,"headers":{"content-type":"text/plain","x-pid":"` + itoa(os.Getpid()) + `"},"body":"ok"}`
		r, err := http.Post(base+id+"/response", "application/json", bytes.NewReader([]byte(out)))
		if err != nil {
			os.Exit(1)
		}
		r.Body.Close()
	}
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
