package h2_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// h2specBin is where scripts/h2spec.sh installs h2spec (go install
// github.com/summerwind/h2spec/cmd/h2spec); CI puts it on PATH.
var h2specBin = flag.String("h2spec", "/usr/local/bin/h2spec", "h2spec binary (TestH2Spec skips when it is missing)")

// h2specShow prints h2spec's whole report (scripts/h2spec.sh sets it).
var h2specShow = flag.Bool("h2spec.show", false, "print h2spec's report")

var h2specSummary = regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`)

// TestH2Spec runs the h2spec conformance suite (RFC 9113 and RFC 7541)
// against the engine serving the test handler, over h2c and over TLS, and
// fails on any failed case.
func TestH2Spec(t *testing.T) {
	bin := *h2specBin
	if _, err := os.Stat(bin); err != nil {
		if p, err := exec.LookPath("h2spec"); err == nil {
			bin = p
		} else if os.Getenv("WEBSERV_REQUIRE_H2SPEC") != "" {
			t.Fatal("h2spec not installed (.ci/run installs it)")
		} else {
			t.Skip("h2spec not installed")
		}
	}
	t.Parallel()
	for _, useTLS := range []bool{false, true} {
		name := "h2c"
		if useTLS {
			name = "tls"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, nil, newTestHandler(t), useTLS)
			_, port, _ := strings.Cut(ts.addr, ":")
			args := []string{"-h", "127.0.0.1", "-p", port, "-o", "5"}
			if useTLS {
				args = append(args, "-t", "-k")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
			if *h2specShow {
				t.Logf("h2spec %s:\n%s", strings.Join(args, " "), out)
			}
			m := h2specSummary.FindSubmatch(out)
			if m == nil {
				t.Fatalf("h2spec: %v, no summary in:\n%s", err, out)
			}
			t.Logf("h2spec %s: %s", name, m[0])
			if string(m[4]) != "0" || string(m[3]) != "0" {
				i := strings.Index(string(out), "Failures:")
				if i < 0 {
					i = 0
				}
				t.Errorf("h2spec %s: %s\n%s", name, m[0], out[i:])
			}
		})
	}
}
