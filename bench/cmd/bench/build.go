package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

type artefact struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

type buildResult struct {
	// Seconds; 0 when not measured (quick mode measures only the bundle).
	Cold   float64 `json:"coldSeconds"`
	Warm   float64 `json:"warmSeconds"`
	NoOp   float64 `json:"noOpSeconds"`
	Bundle float64 `json:"bundleSeconds"`

	K6Bytes    int64      `json:"k6Bytes"`
	Dist       []artefact `json:"dist"`
	DistJS     int64      `json:"distJsBytes"`
	DistMaps   int64      `json:"distMapBytes"`
	Image      string     `json:"image"`
	ImageBytes int64      `json:"imageBytes"`
	ImageNote  string     `json:"imageNote,omitempty"`
}

// copyTree copies the files git knows of (tracked, and untracked but not ignored) from the repository into
// dst: what a fresh clone of the work tree would hold, without build outputs.
func copyTree(ctx context.Context, root, dst string) error {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "-c", "-o", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if rel == "" {
			continue
		}
		src := filepath.Join(root, rel)
		info, err := os.Lstat(src)
		if err != nil {
			if os.IsNotExist(err) {
				continue // deleted in the work tree
			}
			return err
		}
		if !info.Mode().IsRegular() {
			continue
		}
		if err := copyFile(src, filepath.Join(dst, rel), info.Mode()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// timedMake runs make with targets in dir and returns the wall time.
func timedMake(ctx context.Context, dir string, env map[string]string, targets ...string) (float64, error) {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	cmd, stdout, stderr := command(rctx, dir, cleanEnv(env), "make", targets...)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("make %s: %v: %s", strings.Join(targets, " "), err, tail(stderr, 800)+tail(stdout, 400))
	}
	return time.Since(start).Seconds(), nil
}

// measureBuild times `make build` in a copy of the work tree, so the ./k6 and dist/ other work is using are
// never rebuilt underneath it. Cold: a fresh GOCACHE, no .bin/ (xk6 is built too) and no node_modules/ (npm
// ci runs); Go modules come from the existing module cache. Warm: k6 and dist/ removed, everything else kept.
func measureBuild(ctx context.Context, h *harness) (buildResult, error) {
	var res buildResult
	src := filepath.Join(h.tmp, "build")
	if err := copyTree(ctx, h.root, src); err != nil {
		return res, err
	}
	defer os.RemoveAll(src)
	env := map[string]string{}
	if h.plan.coldBuild {
		env["GOCACHE"] = filepath.Join(h.tmp, "gocache")
		defer os.RemoveAll(env["GOCACHE"])
		var err error
		if res.Cold, err = timedMake(ctx, src, env, "build"); err != nil {
			return res, err
		}
		os.RemoveAll(filepath.Join(src, "dist"))
		os.Remove(filepath.Join(src, "k6"))
		if res.Warm, err = timedMake(ctx, src, env, "build"); err != nil {
			return res, err
		}
		if res.NoOp, err = timedMake(ctx, src, env, "build"); err != nil {
			return res, err
		}
	} else {
		// Quick mode: borrow the installed node_modules, newer than the copied package files.
		cp := exec.CommandContext(ctx, "cp", "-a", filepath.Join(h.root, "node_modules"), src)
		if out, err := cp.CombinedOutput(); err != nil {
			return res, fmt.Errorf("copy node_modules: %v: %s", err, out)
		}
		now := time.Now().Add(time.Second)
		os.Chtimes(filepath.Join(src, "node_modules", ".stamp"), now, now)
	}
	os.RemoveAll(filepath.Join(src, "dist"))
	var err error
	if res.Bundle, err = timedMake(ctx, src, env, "bundle"); err != nil {
		return res, err
	}
	sizes(h, &res)
	return res, nil
}

// sizes reads the artefacts of the repository itself: ./k6, dist/*.js and the CI image if one was built.
func sizes(h *harness, res *buildResult) {
	if fi, err := os.Stat(filepath.Join(h.root, "k6")); err == nil {
		res.K6Bytes = fi.Size()
	}
	files, _ := filepath.Glob(filepath.Join(h.root, "dist", "*"))
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		switch {
		case strings.HasSuffix(f, ".js"):
			res.DistJS += fi.Size()
			res.Dist = append(res.Dist, artefact{filepath.Base(f), fi.Size()})
		case strings.HasSuffix(f, ".js.map"):
			res.DistMaps += fi.Size()
		}
	}
	sort.Slice(res.Dist, func(i, j int) bool { return res.Dist[i].Name < res.Dist[j].Name })
	res.Image = h.image
	res.ImageBytes, res.ImageNote = imageSize(h.image)
}

// imageSize asks podman (or docker) for the image's size; it is never built here.
func imageSize(image string) (int64, string) {
	for _, engine := range []string{"podman", "docker"} {
		if _, err := exec.LookPath(engine); err != nil {
			continue
		}
		out, err := exec.Command(engine, "image", "inspect", "--format", "{{.Size}}", image).Output()
		if err != nil {
			return 0, fmt.Sprintf("not built (%s has no %s)", engine, image)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			return 0, fmt.Sprintf("%s image inspect: unreadable size %q", engine, strings.TrimSpace(string(out)))
		}
		return n, engine
	}
	return 0, "not built (neither podman nor docker is installed)"
}
