package module

import (
	"os"
	"sync"
	"syscall"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/modules"
)

// runState is what runStatus reports about this k6 process. The first VU instance (in the init context,
// where k6's runtime options are readable) fills it in and subscribes to SIGINT and SIGTERM.
//
// Subscribing does not take the signals from k6: Go delivers a signal to every channel subscribed to it, so
// k6's own handler still stops the test (and a second signal still ends k6 at once). The channel holds the
// first signal until runStatus looks; later ones add nothing. What a subscription does change is the moments
// when k6 has no handler of its own: between the first VU's init and k6 trapping signals (it does before
// initialising the other VUs), and after k6 lets go of them, while the end-of-test summary is written. There
// a SIGINT or SIGTERM no longer ends the process at once; it is recorded and k6 carries on to its end.
type runState struct {
	notify func(chan<- os.Signal, ...os.Signal)

	once         sync.Once
	noThresholds bool
	signals      chan os.Signal

	mu     sync.Mutex
	signal string // the first SIGINT or SIGTERM received, "" before any
}

func (s *runState) start(vu modules.VU) {
	s.once.Do(func() {
		if env := vu.InitEnv(); env != nil && env.TestPreInitState != nil {
			s.noThresholds = env.RuntimeOptions.NoThresholds.Bool
		}
		s.signals = make(chan os.Signal, 1)
		s.notify(s.signals, syscall.SIGINT, syscall.SIGTERM)
	})
}

// interruption returns the first SIGINT or SIGTERM this process received, "" if none.
func (s *runState) interruption() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signal == "" && s.signals != nil {
		select {
		case sig := <-s.signals:
			s.signal = signalName(sig)
		default:
		}
	}
	return s.signal
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// runStatus() → {interrupted, signal, thresholds}
func runStatus(c call) sobek.Value {
	st := &c.i.root.status
	var signal any // null until a signal arrives
	interrupted := false
	if name := st.interruption(); name != "" {
		signal, interrupted = name, true
	}
	return newObject(c.rt, "interrupted", interrupted, "signal", signal, "thresholds", !st.noThresholds)
}
