package static

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"webserv/internal/config"
	"webserv/internal/http1"
)

// serveBody runs Serve for urlPath under loc and returns the body sent.
func serveBody(t testing.TB, fl *Files, loc *config.Location, urlPath string) string {
	t.Helper()
	var out bytes.Buffer
	var w http1.ResponseWriter
	w.Reset(&out, 1, false, true)
	req := &http1.Request{Method: []byte("GET"), Minor: 1, ContentLength: -1}
	if err := fl.Serve(&w, req, loc, urlPath, 200); err != nil {
		t.Fatalf("Serve %s: %v", urlPath, err)
	}
	w.Finish()
	_, body, _ := strings.Cut(out.String(), "\r\n\r\n")
	return body
}

// cacheBody is serveBody twice: a small file goes into the cache at its
// second request (admit).
func cacheBody(t *testing.T, fl *Files, loc *config.Location, urlPath string) string {
	t.Helper()
	serveBody(t, fl, loc, urlPath)
	return serveBody(t, fl, loc, urlPath)
}

// alikePaths returns n URL paths of CSS files with the same key.
func alikePaths(n int, key func(string) uint64) []string {
	byKey := map[uint64][]string{}
	for i := 0; ; i++ {
		p := "/a" + strconv.Itoa(i) + ".css"
		k := key(p)
		if byKey[k] = append(byKey[k], p); len(byKey[k]) == n {
			return byKey[k]
		}
	}
}

// serveInTurnTwice writes a file under dir for each of paths ("body of"
// its path) and serves them in turn, twice round.
func serveInTurnTwice(t *testing.T, fl *Files, loc *config.Location, dir string, paths []string) {
	t.Helper()
	for _, p := range paths {
		os.WriteFile(filepath.Join(dir, p), []byte("body of "+p), 0o644)
	}
	for range 2 {
		for _, p := range paths {
			if got := serveBody(t, fl, loc, p); got != "body of "+p {
				t.Fatalf("%s: got %q", p, got)
			}
		}
	}
}

func entryFor(fl *Files, loc *config.Location, urlPath string) *cacheEntry {
	_, e := fl.lookup(loc, urlPath)
	return e
}

// A file changed less than racyWindow ago is served but not cached: it
// may be in the middle of being rewritten.
func TestCacheSkipsRacyFiles(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "new.txt"), []byte("fresh"), 0o644)
	loc := &config.Location{Root: dir}
	for range 2 {
		if got := serveBody(t, fl, loc, "/new.txt"); got != "fresh" {
			t.Fatalf("got %q", got)
		}
	}
	if entryFor(fl, loc, "/new.txt") != nil {
		t.Error("a file written just now was cached")
	}
	fl.racyWindow = 0
	cacheBody(t, fl, loc, "/new.txt")
	if e := entryFor(fl, loc, "/new.txt"); e == nil || string(e.body) != "fresh" {
		t.Error("with no racy window the file was not cached")
	}
}

// An entry found stale is dropped (and its bytes leave the budget) even
// when the new version cannot be cached yet.
func TestCacheDropsStaleEntries(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	os.WriteFile(p, []byte("old version"), 0o644)
	loc := &config.Location{Root: dir}
	fl.racyWindow = 0
	cacheBody(t, fl, loc, "/f.txt")
	fl.racyWindow = racyWindow
	if entryFor(fl, loc, "/f.txt") == nil {
		t.Fatal("not cached")
	}
	before := fl.cachedBytes.Load()
	os.WriteFile(p, []byte("new version"), 0o644) // racily new from here on
	if got := serveBody(t, fl, loc, "/f.txt"); got != "new version" {
		t.Fatalf("got %q", got)
	}
	if entryFor(fl, loc, "/f.txt") != nil {
		t.Error("stale entry kept")
	}
	if after := fl.cachedBytes.Load(); after != before-int64(len("old version")) {
		t.Errorf("cached bytes %d -> %d, want the stale entry's %d bytes gone", before, after, len("old version"))
	}
}

// With the budget spent, a file still takes its slot from the entry there:
// the budget counts what the replacement frees.
func TestCacheBudgetCountsReplacement(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	fl.racyWindow = 0
	dir := t.TempDir()
	loc := &config.Location{Root: dir}
	content := func(c byte) []byte { return bytes.Repeat([]byte{c}, smallFile) }
	// Serve new files until no further one fits.
	n := 0
	for ; fl.cachedBytes.Load()+smallFile <= cacheBudget && n < 4*cacheSlots; n++ {
		os.WriteFile(filepath.Join(dir, strconv.Itoa(n)), content('a'), 0o644)
		cacheBody(t, fl, loc, "/"+strconv.Itoa(n))
	}
	if b := fl.cachedBytes.Load(); b > cacheBudget || b+smallFile <= cacheBudget {
		t.Fatalf("cached bytes %d after %d files, want the budget (%d) spent", b, n, cacheBudget)
	}
	// A new file whose set is full: it evicts an entry there, freeing as
	// much as it takes.
	full := func(path string) bool {
		for i := range fl.cacheSet(path) {
			if fl.cacheSet(path)[i].Load() == nil {
				return false
			}
		}
		return true
	}
	var name string
	for i := 0; name == ""; i++ {
		if cand := "/x" + strconv.Itoa(i); full(cand) {
			name = cand
		}
	}
	os.WriteFile(filepath.Join(dir, name), content('b'), 0o644)
	if got := cacheBody(t, fl, loc, name); got != string(content('b')) {
		t.Fatal("wrong body")
	}
	if e := entryFor(fl, loc, name); e == nil || e.body[0] != 'b' {
		t.Error("with the budget spent, a new file did not take its slot from the entry there")
	}
	if b := fl.cachedBytes.Load(); b > cacheBudget {
		t.Errorf("cached bytes %d over the budget %d", b, cacheBudget)
	}
}

// A directory changed less than racyWindow ago does not have its index
// resolution cached (a name created in the same clock tick would not
// change the identity); once settled, it does, and its small index file
// goes into the small-file cache under the directory's URL, for the index
// path only.
func TestIndexCacheSkipsRacyDirs(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("home"), 0o644)
	loc := &config.Location{Root: dir, Index: []string{"index.html"}}
	for range 2 {
		if got := serveBody(t, fl, loc, "/"); got != "home" {
			t.Fatalf("got %q", got)
		}
	}
	if fl.indexSlot("/").Load() != nil {
		t.Error("a directory changed just now had its index cached")
	}
	fl.racyWindow = 0
	cacheBody(t, fl, loc, "/")
	if e := fl.indexSlot("/").Load(); e == nil || e.loc != loc || string(e.fileZ) != filepath.Join(dir, "index.html")+"\x00" {
		t.Fatalf("with no racy window the index was not cached: %+v", e)
	}
	if e := entryFor(fl, loc, "/"); e == nil || !e.byIndex || string(e.body) != "home" {
		t.Fatalf("the index file is not in the small-file cache: %+v", e)
	}
	if fl.cached(loc, "/") != nil {
		t.Error("the index file's entry is found by a plain lookup of the directory's URL")
	}
	if got := serveBody(t, fl, loc, "/"); got != "home" {
		t.Fatalf("from the caches: got %q", got)
	}
}

// Small files whose URL paths hash alike are all kept: a page's assets
// that fell on one slot of a direct-mapped table evicted one another on
// every request, each then costing open, fstat, read and close (and the
// body's allocation) as a file never cached does.
func TestCacheKeepsCollidingPaths(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	fl.racyWindow = 0
	dir := t.TempDir()
	loc := &config.Location{Root: dir}
	// Three paths in the same slot of a table of cacheSlots.
	paths := alikePaths(3, func(p string) uint64 { return fl.hash(p) & (cacheSlots - 1) })
	serveInTurnTwice(t, fl, loc, dir, paths)
	for _, p := range paths {
		if e := fl.cached(loc, p); e == nil || string(e.body) != "body of "+p {
			t.Errorf("%s: not cached beside the other paths of its slot (%v)", p, paths)
		}
	}
}

// Entries of files under a root on a local file system are checked with
// a raw stat (rawStatZ: no wake-up of the runtime's monitor thread per
// request) while their path was walked in the last second, and with
// statZ when it was not (the walk might read the disk); the small file's,
// the index's and a meta entry's alike. The check still sees each file
// change.
func TestCacheEntriesStatRawUnderLocalRoot(t *testing.T) {
	// Not parallel: the stat hook is the package's.
	dir := t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	local := localFS(int(d.Fd()))
	d.Close()
	if !local {
		t.Skip("the temporary directory is not on a local file system here")
	}
	fl := New(Options{})
	fl.racyWindow = 0
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", "home")
	write("small.txt", "small")
	write("big.bin", strings.Repeat("x", smallFile+1))
	// disable_symlinks on (the default) opens beneath a root descriptor,
	// which knows its file system (root.go).
	loc := &config.Location{Root: dir, Index: []string{"index.html"}, DisableSymlinks: true}
	for _, p := range []string{"/", "/small.txt", "/big.bin"} {
		cacheBody(t, fl, loc, p)
	}
	var raws, plains int
	h := func(raw bool) {
		if raw {
			raws++
		} else {
			plains++
		}
	}
	testHookStat.Store(&h)
	defer testHookStat.Store(nil)
	// Checked just now: raw. The index takes two checks (the directory,
	// then its file's entry).
	for _, p := range []string{"/", "/small.txt", "/big.bin"} {
		raws, plains = 0, 0
		if got, err := serveRaw(fl, loc, "HEAD", p); err != nil || !strings.HasPrefix(got, "HTTP/1.1 200") {
			t.Fatalf("HEAD %s: %q, %v", p, got, err)
		}
		if raws == 0 || plains != 0 {
			t.Errorf("%s checked just before: %d raw and %d plain stats, want raw ones only", p, raws, plains)
		}
	}
	// Not checked for a while: the path may have left the dentry cache.
	for _, p := range []string{"/small.txt", "/big.bin"} {
		entryFor(fl, loc, p).checked.Add(-10)
		raws, plains = 0, 0
		serveRaw(fl, loc, "HEAD", p)
		if raws != 0 || plains != 1 {
			t.Errorf("%s checked 10 s ago: %d raw and %d plain stats, want one plain", p, raws, plains)
		}
		raws, plains = 0, 0
		serveRaw(fl, loc, "HEAD", p)
		if raws != 1 || plains != 0 {
			t.Errorf("%s checked again: %d raw and %d plain stats, want one raw", p, raws, plains)
		}
	}
	testHookStat.Store(nil)
	write("small.txt", "SMALL!")
	os.Remove(filepath.Join(dir, "index.html"))
	write("index.html", "new home")
	if got := serveBody(t, fl, loc, "/small.txt"); got != "SMALL!" {
		t.Errorf("changed small file: got %q", got)
	}
	if got := serveBody(t, fl, loc, "/"); got != "new home" {
		t.Errorf("replaced index file: got %q", got)
	}
}

// A small file is cached at its second request, not its first (admit):
// files asked for once each — more of them than the cache has slots —
// neither take entries nor push out the one asked for again and again.
func TestCacheAdmitsFilesAskedAgain(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	fl.racyWindow = 0
	dir := t.TempDir()
	loc := &config.Location{Root: dir}
	os.WriteFile(filepath.Join(dir, "hot.css"), []byte("hot"), 0o644)
	if serveBody(t, fl, loc, "/hot.css"); entryFor(fl, loc, "/hot.css") != nil {
		t.Fatal("cached at its first request")
	}
	if serveBody(t, fl, loc, "/hot.css"); entryFor(fl, loc, "/hot.css") == nil {
		t.Fatal("not cached at its second request")
	}
	const once = cacheSlots * 3 / 2
	for i := range once {
		name := "/once" + strconv.Itoa(i)
		os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644)
		if got := serveBody(t, fl, loc, name); got != name {
			t.Fatalf("%s: got %q", name, got)
		}
	}
	n := 0
	for i := range fl.cache {
		if e := fl.cache[i].Load(); e != nil && e.path != "/hot.css" {
			n++
		}
	}
	if n != 0 || fl.cachedBytes.Load() != int64(len("hot")) {
		t.Errorf("%d files asked for once took %d entries (%d bytes cached)", once, n, fl.cachedBytes.Load())
	}
	if e := fl.cached(loc, "/hot.css"); e == nil || string(e.body) != "hot" {
		t.Error("the file asked for again was pushed out by files asked for once")
	}
	// The last of them, asked for again, gets in.
	last := "/once" + strconv.Itoa(once-1)
	if got := serveBody(t, fl, loc, last); got != last || entryFor(fl, loc, last) == nil {
		t.Errorf("%s asked for again: got %q, cached %v", last, got, entryFor(fl, loc, last) != nil)
	}
}

// Paths whose fingerprints share a doorkeeper bucket, asked for in turn
// (a page's assets, fetched in the same order each time), all get in, up
// to doorWays of them: one fingerprint per bucket would have each erase
// the other's for good.
func TestCacheAdmitsPathsSharingADoorBucket(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	fl.racyWindow = 0
	dir := t.TempDir()
	loc := &config.Location{Root: dir}
	n := max(2, doorWays)
	paths := alikePaths(n, func(p string) uint64 { return fl.hash(p) >> (64 - doorBits) })
	serveInTurnTwice(t, fl, loc, dir, paths)
	for _, p := range paths {
		if e := fl.cached(loc, p); e == nil || string(e.body) != "body of "+p {
			t.Errorf("%s, asked for twice in turn with %d others of its doorkeeper bucket, is not cached", p, n-1)
		}
	}
}

// A full set evicts an entry nobody asked for since its last eviction
// before one in use: a tail of files asked for twice does not push out
// the pages asked for all the time.
func TestCacheEvictsUnusedEntryFirst(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	fl.racyWindow = 0
	dir := t.TempDir()
	loc := &config.Location{Root: dir}
	paths := alikePaths(cacheWays+1, func(p string) uint64 { return fl.hash(p) & (cacheSlots/cacheWays - 1) })
	inSet, idle, next := paths[:cacheWays-1], paths[cacheWays-1], paths[cacheWays]
	serveInTurnTwice(t, fl, loc, dir, paths[:cacheWays])
	for _, p := range inSet {
		serveBody(t, fl, loc, p)
	}
	serveInTurnTwice(t, fl, loc, dir, []string{next})
	if entryFor(fl, loc, next) == nil {
		t.Fatalf("%s, asked for twice, is not cached", next)
	}
	if entryFor(fl, loc, idle) != nil {
		t.Errorf("%s, not asked for since it was cached, outlasted the eviction", idle)
	}
	for _, p := range inSet {
		if e := entryFor(fl, loc, p); e == nil || string(e.body) != "body of "+p {
			t.Errorf("%s, asked for again, was evicted by %s", p, next)
		}
	}
	// The eviction took every entry's second chance: the next one of the
	// set asked for twice pushes out one of them.
	serveInTurnTwice(t, fl, loc, dir, []string{idle})
	n := 0
	for _, p := range paths {
		if entryFor(fl, loc, p) != nil {
			n++
		}
	}
	if n != cacheWays || entryFor(fl, loc, idle) == nil {
		t.Errorf("%d entries in the set of %d ways after one more file was admitted", n, cacheWays)
	}
}

// A directory URL has its index resolution cached at its second request:
// directories asked for once each (a crawler) take no slot, and leave the
// root's.
func TestIndexCacheAdmitsDirsAskedAgain(t *testing.T) {
	t.Parallel()
	fl := New(Options{})
	fl.racyWindow = 0
	dir := t.TempDir()
	loc := &config.Location{Root: dir, Index: []string{"index.html"}}
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("home"), 0o644)
	os.Mkdir(filepath.Join(dir, "c"), 0o755) // the crawled ones, not changing the root
	if serveBody(t, fl, loc, "/"); fl.indexSlot("/").Load() != nil {
		t.Fatal("the index was cached at the directory's first request")
	}
	if got := serveBody(t, fl, loc, "/"); got != "home" || fl.indexSlot("/").Load() == nil {
		t.Fatalf("at the second request: got %q, index cached %v", got, fl.indexSlot("/").Load() != nil)
	}
	const once = indexSlots * 4
	for i := range once {
		d := "c/d" + strconv.Itoa(i)
		os.Mkdir(filepath.Join(dir, d), 0o755)
		os.WriteFile(filepath.Join(dir, d, "index.html"), []byte(d), 0o644)
		if got := serveBody(t, fl, loc, "/"+d+"/"); got != d {
			t.Fatalf("/%s/: got %q", d, got)
		}
	}
	for i := range fl.index {
		if e := fl.index[i].Load(); e != nil && e.path != "/" {
			t.Fatalf("%s, asked for once among %d directories, took an index slot", e.path, once)
		}
	}
	if e := fl.cachedIndex(loc, "/"); e == nil {
		t.Error("directories asked for once pushed out the root's index entry")
	}
}

// BenchmarkCacheHotAmongTail serves a site's shape of traffic: 70 % of
// requests to 64 small assets, 30 % to 8,192 other small files at random
// (a gallery, a crawler), and reports the percentage of the assets'
// requests that missed the cache (hot-miss-%) and of all requests
// (miss-%).
func BenchmarkCacheHotAmongTail(b *testing.B) {
	fl := New(Options{})
	fl.racyWindow = 0
	dir := b.TempDir()
	loc := &config.Location{Root: dir}
	var hot, tail []string
	for i := range 64 {
		hot = append(hot, "/h"+strconv.Itoa(i)+".css")
	}
	os.Mkdir(filepath.Join(dir, "t"), 0o755)
	for i := range 8192 {
		tail = append(tail, "/t/"+strconv.Itoa(i)+".txt")
	}
	for _, p := range append(hot, tail...) {
		os.WriteFile(filepath.Join(dir, p), []byte("body of "+p), 0o644)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var hotReqs, hotMiss, reqs, miss int
	for b.Loop() {
		p, isHot := tail[rng.IntN(len(tail))], false
		if rng.IntN(10) < 7 {
			p, isHot = hot[rng.IntN(len(hot))], true
		}
		m := entryFor(fl, loc, p) == nil
		reqs++
		if m {
			miss++
		}
		if isHot {
			hotReqs++
			if m {
				hotMiss++
			}
		}
		serveBody(b, fl, loc, p)
	}
	b.ReportMetric(100*float64(hotMiss)/float64(max(hotReqs, 1)), "hot-miss-%")
	b.ReportMetric(100*float64(miss)/float64(max(reqs, 1)), "miss-%")
}
