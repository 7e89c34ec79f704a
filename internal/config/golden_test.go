package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*/*.golden from the current output")

// testdataDir is the absolute path of testdata, replaced by "$DIR" in
// golden files so that they do not depend on where the tree lives.
func testdataDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGoldenGood loads every testdata/good/*.conf and compares a flat dump
// of the Config with the .golden file next to it.
func TestGoldenGood(t *testing.T) {
	dir := testdataDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "good", "*.conf"))
	if len(files) == 0 {
		t.Fatal("no good configurations")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".conf")
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			got := strings.ReplaceAll(dump(cfg), dir, "$DIR")
			checkGolden(t, strings.TrimSuffix(f, ".conf")+".golden", got)
		})
	}
}

// TestGoldenBad loads every testdata/bad/*.conf and compares the error with
// the one-line .golden file next to it.
func TestGoldenBad(t *testing.T) {
	dir := testdataDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "bad", "*.conf"))
	if len(files) == 0 {
		t.Fatal("no bad configurations")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".conf")
		t.Run(name, func(t *testing.T) {
			_, err := Load(f)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *Error", err, err)
			}
			got := strings.ReplaceAll(err.Error(), dir, "$DIR") + "\n"
			checkGolden(t, strings.TrimSuffix(f, ".conf")+".golden", got)
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("got:\n%s\nwant (%s):\n%s", got, path, want)
	}
}

// dump renders v as sorted "path = value" lines: stable, readable and
// easy to diff.
func dump(v any) string {
	var lines []string
	dumpValue(&lines, "", reflect.ValueOf(v))
	return strings.Join(lines, "\n") + "\n"
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	posType      = reflect.TypeOf(Pos{})
	templateType = reflect.TypeOf((*Template)(nil))
	regexpType   = reflect.TypeOf((*regexp.Regexp)(nil))
)

func dumpValue(lines *[]string, path string, v reflect.Value) {
	add := func(s string) { *lines = append(*lines, path+" = "+s) }
	switch {
	case v.Type() == durationType:
		add(time.Duration(v.Int()).String())
		return
	case v.Type() == posType:
		add(v.Interface().(Pos).String())
		return
	case v.Type() == templateType || v.Type() == regexpType:
		if v.IsNil() {
			add("nil")
		} else {
			add(fmt.Sprintf("%q", v.Interface().(fmt.Stringer).String()))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			add("nil")
			return
		}
		dumpValue(lines, path, v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			p := v.Type().Field(i).Name
			if path != "" {
				p = path + "." + p
			}
			dumpValue(lines, p, v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			add("[]")
			return
		}
		for i := 0; i < v.Len(); i++ {
			dumpValue(lines, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 {
			add("{}")
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			dumpValue(lines, fmt.Sprintf("%s[%v]", path, k), v.MapIndex(k))
		}
	case reflect.String:
		add(fmt.Sprintf("%q", v.String()))
	default:
		add(fmt.Sprint(v.Interface()))
	}
}
