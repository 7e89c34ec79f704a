package server

import (
	"testing"

	"webserv/internal/config"
	"webserv/internal/static"
)

// The default bound: 8 per CPU, at least 16, at most the descriptor
// limit / 8 (at least 1), as docs/configuration.md says; a configured
// value is taken as is.
func TestCGIMaxProcessesDefault(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cpus int
		fds  uint64
		want int
	}{
		{1, 1024, 16},       // the minimum
		{2, 1024, 16},       // 8 per CPU meets the minimum
		{4, 1024, 32},       // 8 per CPU
		{8, 65536, 64},      // 8 per CPU, far within the descriptors
		{64, 4096, 512},     // 8 per CPU, exactly the descriptors' share
		{64, 256, 32},       // the descriptors bound it
		{2, 64, 8},          // below the minimum too
		{2, 7, 1},           // never none
		{128, 0, 1024},      // descriptor limit unknown
		{2, ^uint64(0), 16}, // RLIM_INFINITY
	} {
		if got := defaultCGIProcesses(tc.cpus, tc.fds); got != tc.want {
			t.Errorf("%d CPUs, %d descriptors: got %d, want %d", tc.cpus, tc.fds, got, tc.want)
		}
	}
	if got := cgiMaxProcesses(&config.Config{}); got < 1 {
		t.Errorf("default on this machine: got %d", got)
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
	if st := newState(cfg, a.state.Load(), static.Options{}); st.cgiSlots != sa {
		t.Error("same bound: slots not kept")
	}
	if st := newState(&config.Config{CGIMaxProcesses: 5}, a.state.Load(), static.Options{}); st.cgiSlots == sa || cap(st.cgiSlots) != 5 {
		t.Error("new bound: slots not remade")
	}
}
