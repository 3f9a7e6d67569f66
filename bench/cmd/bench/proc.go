package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on every Linux this runs on.
const clockTicks = 100

// cpuSeconds is the user+system CPU a live process has used so far, all its threads included.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseFloat(f[11], 64) // field 14
	stime, err2 := strconv.ParseFloat(f[12], 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return (utime + stime) / clockTicks, nil
}

// usage is what the kernel accounted to a finished child.
type usage struct {
	Wall     time.Duration
	CPU      float64 // user+system seconds
	MaxRSSKB int64
}

func usageOf(ps *os.ProcessState, wall time.Duration) usage {
	u := usage{Wall: wall, CPU: (ps.UserTime() + ps.SystemTime()).Seconds()}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		u.MaxRSSKB = ru.Maxrss // KiB on Linux
	}
	return u
}

// command builds a child with its own process group, so a timeout ends it and nothing else, and with output
// kept in memory for the error message or the parser.
func command(ctx context.Context, dir string, env []string, name string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	return cmd, &stdout, &stderr
}

// tail is the end of a child's output, for an error message.
func tail(b *bytes.Buffer, n int) string {
	s := strings.TrimSpace(b.String())
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// cleanEnv is this process's environment without k6's own variables and the scenario knobs, so nothing set in
// the caller's shell (a web dashboard, an output, a report directory) changes what is measured.
func cleanEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "K6_") || strings.HasPrefix(k, "INGEST_") || k == "REPORT_DIR" {
			continue
		}
		if _, over := extra[k]; over {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// freePort is the first port in [lo, hi] on 127.0.0.1 that nothing listens on.
func freePort(lo, hi int) (int, error) {
	for p := lo; p <= hi; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no free port in 127.0.0.1:%d-%d", lo, hi)
}
