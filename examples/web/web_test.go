//go:build browser

package main

import (
	"flag"
	"os"
	"os/exec"
	"testing"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the page after the calls to this file (docs/img/web.png is ../../docs/img/web.png)")

// TestBrowser serves the page, runs the greeter in RESPONSE_STREAM mode
// with CORS for the page's origin, and has test.mjs drive the page in
// headless Chromium. It fails, rather than skips, when Node, Chromium or
// the npm packages are missing: make web installs them.
func TestBrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed (Node 20 or later): %v", err)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		if chromium, err = exec.LookPath("chromium"); err != nil {
			t.Fatalf("chromium is needed: install it (Debian: apt-get install chromium) or set CHROMIUM to a Chromium binary: %v", err)
		}
	}
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		t.Fatalf("the npm packages are needed: run npm ci in examples/web: %v", err)
	}
	d, err := start(t.Context(), "127.0.0.1:0", "127.0.0.1:0", ".", t.Output())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.close(); err != nil {
			t.Error(err)
		}
	})
	args := []string{"test.mjs", d.pageURL}
	if *screenshot != "" {
		args = append(args, *screenshot)
	}
	cmd := exec.CommandContext(t.Context(), node, args...)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	cmd.Stdout, cmd.Stderr = t.Output(), t.Output()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node test.mjs: %v", err)
	}
}
