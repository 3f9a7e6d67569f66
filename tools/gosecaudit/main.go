// Command gosecaudit runs gosec over the repository without its configuration and holds every finding against
// tools/gosec.json: a finding no entry covers fails (fix it, or add an entry that says why it is safe), and so
// does an entry, or one rule of an entry, that no longer matches any finding (drop it), or an entry without a
// reason. So the exclusions xk6 lint's security checker runs with (tools/lint-path/gosec) stay exactly the
// justified ones. `make lint` runs it.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

type entry struct {
	Path  string   `json:"path"`
	Rules []string `json:"rules"`
	Why   string   `json:"why"`
	re    *regexp.Regexp
}

type finding struct {
	Severity   string `json:"severity"`
	Confidence string `json:"confidence"`
	RuleID     string `json:"rule_id"`
	Details    string `json:"details"`
	File       string `json:"file"`
	Line       string `json:"line"`
}

func main() {
	gosec := flag.String("gosec", "gosec", "the gosec binary")
	conf := flag.String("conf", "gosec.json", "the exclusions")
	dir := flag.String("dir", ".", "the module to scan")
	flag.Parse()
	if err := run(*gosec, *conf, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "gosecaudit:", err)
		os.Exit(1)
	}
}

func run(gosec, conf, dir string) error {
	entries, err := readEntries(conf)
	if err != nil {
		return err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// The same arguments as xk6 lint's security checker, without -conf.
	cmd := exec.Command(gosec, "-no-fail", "-quiet", "-fmt", "json", "-exclude-generated", "-r", root+"/...") // #nosec G204 -- gosec and the directory are this tool's own flags
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", gosec, err, stderr.String())
	}
	var report struct {
		Issues []finding `json:"Issues"`
		Stats  struct {
			Files int `json:"files"`
		} `json:"Stats"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		return fmt.Errorf("reading gosec's report: %w", err)
	}
	if report.Stats.Files == 0 {
		return fmt.Errorf("gosec checked no file under %s", root)
	}

	used := map[[2]int]bool{} // entry index, rule index
	var open []finding
	for _, f := range report.Issues {
		f.File = strings.TrimPrefix(filepath.ToSlash(f.File), filepath.ToSlash(root)+"/")
		covered := false
		for i, e := range entries {
			if !e.re.MatchString(f.File) {
				continue
			}
			if j := slices.Index(e.Rules, f.RuleID); j >= 0 {
				used[[2]int{i, j}] = true
				covered = true
			}
		}
		if !covered {
			open = append(open, f)
		}
	}

	var problems []string
	for _, f := range open {
		problems = append(problems, fmt.Sprintf("%s:%s: %s %s (%s severity, %s confidence): fix it, or add an "+
			"entry to %s saying why it is safe", f.File, f.Line, f.RuleID, f.Details, f.Severity, f.Confidence, conf))
	}
	for i, e := range entries {
		for j, r := range e.Rules {
			if !used[[2]int{i, j}] {
				problems = append(problems, fmt.Sprintf("%s: %s is excluded for %q but gosec no longer finds it "+
					"there: remove it", conf, r, e.Path))
			}
		}
	}
	fmt.Printf("gosecaudit: %d files, %d findings, %d justified in %s (%d entries), %d open\n",
		report.Stats.Files, len(report.Issues), len(report.Issues)-len(open), conf, len(entries), len(open))
	if len(problems) > 0 {
		return fmt.Errorf("%d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}

func readEntries(conf string) ([]entry, error) {
	b, err := os.ReadFile(conf) // #nosec G304 -- the path is this tool's own flag
	if err != nil {
		return nil, err
	}
	var c struct {
		ExcludeRules []entry `json:"exclude-rules"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", conf, err)
	}
	for i := range c.ExcludeRules {
		e := &c.ExcludeRules[i]
		if strings.TrimSpace(e.Why) == "" {
			return nil, fmt.Errorf("%s: the entry for %q says not why it is safe", conf, e.Path)
		}
		if len(e.Rules) == 0 || slices.Contains(e.Rules, "*") {
			return nil, fmt.Errorf("%s: the entry for %q must name its rules (no \"*\")", conf, e.Path)
		}
		if e.re, err = regexp.Compile(e.Path); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", conf, e.Path, err)
		}
	}
	return c.ExcludeRules, nil
}
