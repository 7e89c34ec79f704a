package server

import (
	"runtime"
	"syscall"
	"testing"

	"webserv/internal/config"
)

// The default bound: 8 per CPU, at least 16, within the descriptor limit;
// a configured value is taken as is.
func TestCGIMaxProcessesDefault(t *testing.T) {
	t.Parallel()
	want := max(cgiMinProcesses, cgiProcessesPerCPU*runtime.NumCPU())
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if lim := uint64(rl.Cur) / cgiFDsPerProcess; lim < uint64(want) {
		want = max(1, int(lim))
	}
	if got := cgiMaxProcesses(&config.Config{}); got != want {
		t.Errorf("default: got %d, want %d (NumCPU %d, RLIMIT_NOFILE %d)", got, want, runtime.NumCPU(), rl.Cur)
	}
	if got := cgiMaxProcesses(&config.Config{CGIMaxProcesses: 3}); got != 3 {
		t.Errorf("configured 3: got %d", got)
	}
}

// Two servers in one process bound their programs separately; a reload
// that keeps the bound keeps the slots (programs running across it still
// count), one that changes it makes new ones.
func TestCGISlotsPerServer(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{CGIMaxProcesses: 2}
	a, b := New(cfg, nil), New(cfg, nil)
	sa, sb := a.state.Load().cgiSlots, b.state.Load().cgiSlots
	if sa == sb || cap(sa) != 2 || cap(sb) != 2 {
		t.Fatalf("servers share slots or have the wrong bound: %p %p, caps %d %d", sa, sb, cap(sa), cap(sb))
	}
	if st := newState(cfg, a.state.Load()); st.cgiSlots != sa {
		t.Error("same bound: slots not kept")
	}
	if st := newState(&config.Config{CGIMaxProcesses: 5}, a.state.Load()); st.cgiSlots == sa || cap(st.cgiSlots) != 5 {
		t.Error("new bound: slots not remade")
	}
}
