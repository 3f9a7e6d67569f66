package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

var lookPath = exec.LookPath

type machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	MemoryGiB  int    `json:"memoryGiB"`
	Kernel     string `json:"kernel"`
	OS         string `json:"os"`
	LoadBefore string `json:"loadBefore"`
	LoadAfter  string `json:"loadAfter"`
}

type kv struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

func readMachine() machine {
	m := machine{Cores: runtime.NumCPU(), LoadBefore: loadAverage()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				kb = atoi(f[1])
			}
		}
		m.MemoryGiB = (kb + 1<<19) >> 20
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	return m
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// loadAverage is the 1, 5 and 15 minute load average: how busy the shared machine was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// firstLine runs a command and keeps the first line of what it prints, or "?".
func firstLine(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		return "?"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}

func npmVersion(root, pkg string) string {
	b, err := os.ReadFile(filepath.Join(root, "node_modules", pkg, "package.json"))
	if err != nil {
		return "?"
	}
	var p struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &p) != nil {
		return "?"
	}
	return p.Version
}

func readVersions(h *harness) []kv {
	commit := firstLine(h.root, "git", "rev-parse", "--short=12", "HEAD")
	if out, _ := exec.Command("git", "-C", h.root, "status", "--porcelain", "--untracked-files=no").Output(); len(out) > 0 {
		commit += " (with uncommitted changes)"
	}
	wrk := firstLine(h.root, "wrk", "-v")
	if i := strings.Index(wrk, " ["); i > 0 {
		wrk = wrk[:i]
	}
	return []kv{
		{"valora-k6 commit", commit},
		{"./k6", firstLine(h.root, h.k6Bin, "version")},
		{"Go", firstLine(h.root, "go", "env", "GOVERSION")},
		{"Node.js", firstLine(h.root, "node", "--version")},
		{"esbuild", npmVersion(h.root, "esbuild")},
		{"js-sha256", npmVersion(h.root, "js-sha256")},
		{"wrk", wrk},
		{"gnuplot", firstLine(h.root, "gnuplot", "--version")},
	}
}
