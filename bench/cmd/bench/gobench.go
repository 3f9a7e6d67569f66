package main

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// goBench is one Go benchmark over its -count runs.
type goBench struct {
	Package  string  `json:"package"`
	Name     string  `json:"name"`
	NsPerOp  spread  `json:"nsPerOp"`
	BPerOp   float64 `json:"bytesPerOp"`
	Allocs   float64 `json:"allocsPerOp"`
	MBPerSec float64 `json:"mbPerSec,omitempty"`
}

var goBenchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op(.*)$`)

// goBenchPackages are the packages whose signers, generators and handlers are benchmarked.
var goBenchPackages = []string{"./extension/...", "./standin/", "./valoraid/"}

func goBenchCommand(benchtime string, count int) []string {
	return append([]string{"go", "test", "-run", "^$", "-bench", ".", "-benchmem",
		"-benchtime", benchtime, "-count", strconv.Itoa(count)}, goBenchPackages...)
}

func runGoBench(ctx context.Context, h *harness) ([]goBench, error) {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	args := goBenchCommand(h.plan.goBenchtime, h.plan.goCount)
	cmd, stdout, stderr := command(rctx, h.root, cleanEnv(nil), args[0], args[1:]...)
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go benchmarks: %v: %s", err, tail(stderr, 600)+tail(stdout, 600))
	}
	return parseGoBench(stdout.String())
}

func parseGoBench(out string) ([]goBench, error) {
	type acc struct {
		ns                  []float64
		b, allocs, mbPerSec []float64
	}
	var order []string
	byKey := map[string]*acc{}
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimSpace(p), "github.com/valora-k6/valora-k6/")
			continue
		}
		m := goBenchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := pkg + "\x00" + m[1]
		a := byKey[key]
		if a == nil {
			a = &acc{}
			byKey[key] = a
			order = append(order, key)
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		a.ns = append(a.ns, ns)
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "B/op":
				a.b = append(a.b, v)
			case "allocs/op":
				a.allocs = append(a.allocs, v)
			case "MB/s":
				a.mbPerSec = append(a.mbPerSec, v)
			}
		}
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("go benchmarks: no result in the output")
	}
	out2 := make([]goBench, 0, len(order))
	for _, key := range order {
		a := byKey[key]
		p, name, _ := strings.Cut(key, "\x00")
		out2 = append(out2, goBench{
			Package: p, Name: strings.TrimPrefix(name, "Benchmark"),
			NsPerOp: spreadOf(a.ns), BPerOp: medianOr0(a.b), Allocs: medianOr0(a.allocs),
			MBPerSec: medianOr0(a.mbPerSec),
		})
	}
	return out2, nil
}
