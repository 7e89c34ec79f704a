package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documentation's configurations work as written: every complete
// configuration in README.md and docs/*.md (a block with a top-level
// `server {`) is a copy of a file in examples/ named on its first line,
// and `webserv -t` accepts every examples/*.conf. The documentation also
// stands alone: nothing links outside the repository.
func TestDocExamples(t *testing.T) {
	t.Parallel()
	const root = "../.."
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	docs = append(docs, filepath.Join(root, "README.md"))
	fence := regexp.MustCompile("(?ms)^```nginx\n(.*?)^```\n")
	header := regexp.MustCompile(`^# (examples/\S+\.conf)\b`)
	complete := regexp.MustCompile(`(?m)^server\s*\{`)
	shown := make(map[string]bool)
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(doc, root+"/")
		if strings.Contains(string(b), "../shared") {
			t.Errorf("%s refers to ../shared, which a clone does not have", name)
		}
		for _, m := range fence.FindAllStringSubmatch(string(b), -1) {
			block := m[1]
			h := header.FindStringSubmatch(block)
			if h == nil {
				if complete.MatchString(block) {
					t.Errorf("%s: a complete configuration that is not a file of examples/ (first line \"# examples/NAME.conf\"):\n%s", name, block)
				}
				continue
			}
			file, err := os.ReadFile(filepath.Join(root, h[1]))
			if err != nil {
				t.Errorf("%s shows %s: %v", name, h[1], err)
				continue
			}
			if string(file) != block {
				t.Errorf("%s shows %s, but the file differs:\n--- shown\n%s--- file\n%s", name, h[1], block, file)
			}
			shown[h[1]] = true
		}
	}
	for _, want := range []string{"examples/minimal.conf", "examples/site.conf"} {
		if !shown[want] {
			t.Errorf("%s is shown in neither README.md nor docs/", want)
		}
	}
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*.conf"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples/*.conf: %v", err)
	}
	for _, ex := range examples {
		out, errOut, code := runBinary(t, "-t", ex)
		if code != 0 || out != "configuration ok\n" {
			t.Errorf("webserv -t %s: exit %d, %s%s", ex, code, out, errOut)
		}
	}
}
