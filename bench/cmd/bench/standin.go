package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Ports: the stand-in listens in the first half of the range, k6's REST API in the second.
const (
	standinPortLo, standinPortHi = 18200, 18209
	apiPortLo, apiPortHi         = 18210, 18219
)

// standin is one stand-in Valora process, started fresh for every measured run so that no run pays for the
// records an earlier one left in its store.
type standin struct {
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *bytes.Buffer
	env    map[string]string
	url    string
}

func startStandin(bin, tmp string) (*standin, error) {
	port, err := freePort(standinPortLo, standinPortHi)
	if err != nil {
		return nil, err
	}
	envFile := filepath.Join(tmp, fmt.Sprintf("standin-%d.env", port))
	os.Remove(envFile)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// A rollup tick a second, not Valora's minute: webhook_idempotency waits for the tick that applies its
	// events, and a run should measure the load generator, not that wait. The ingest route never waits for it.
	cmd := exec.Command(bin, "-addr", addr, "-env-file", envFile, "-quiet", "-rollup-interval", "1s")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("stand-in: %w", err)
	}
	s := &standin{cmd: cmd, exited: make(chan struct{}), stderr: &stderr}
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.After(15 * time.Second)
	for {
		if env, err := readEnvFile(envFile); err == nil {
			os.Remove(envFile) // it holds the fixture's secrets
			s.env, s.url = env, "http://"+addr
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("stand-in on %s exited at start: %s", addr, tail(&stderr, 400))
		case <-deadline:
			s.stop()
			return nil, fmt.Errorf("stand-in on %s wrote no environment within 15 s", addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *standin) pid() int { return s.cmd.Process.Pid }

// stop ends the stand-in gracefully and then for good; its exit status does not matter here.
func (s *standin) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		syscall.Kill(-s.pid(), syscall.SIGKILL)
		<-s.exited
	}
}

// readEnvFile parses the stand-in's KEY='value' lines (POSIX single quoting, '\” for a quote).
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		v = strings.ReplaceAll(v, `'\''`, "'")
		env[k] = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, k := range []string{"BASE_URL", "API_KEY", "CUSTOMER_ID", "METER_CODE"} {
		if env[k] == "" {
			return nil, fmt.Errorf("%s: no %s", path, k)
		}
	}
	return env, nil
}

// withStandin runs f against a fresh stand-in and stops it afterwards.
func withStandin[T any](ctx context.Context, h *harness, f func(*standin) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	s, err := startStandin(h.standinBin, h.tmp)
	if err != nil {
		return zero, err
	}
	defer s.stop()
	return f(s)
}
