package files

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestEnsureDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	for range 2 { // an existing directory is fine
		if err := EnsureDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		t.Fatalf("%s: %v, %v", dir, info, err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := EnsureDir(filepath.Join(file, "sub"))
	if err == nil || !strings.Contains(err.Error(), "not a directory") || !strings.Contains(err.Error(), file) {
		t.Errorf("a path through a file: %v, want an error naming the path and the reason", err)
	}
	for _, bad := range []string{"", "a\x00b"} {
		if err := EnsureDir(bad); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("EnsureDir(%q) = %v, want ErrInvalidPath", bad, err)
		}
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := WriteAtomic(path, []byte("first"), DefaultMode); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(path, []byte("second"), 0o640); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "second" {
		t.Fatalf("content %q, %v", b, err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 exactly (no umask)", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the file alone (no temporary left)", len(entries))
	}

	// A symbolic link is replaced, not followed.
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(link, []byte("new"), DefaultMode); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
	if info, _ := os.Lstat(link); info.Mode()&fs.ModeSymlink != 0 {
		t.Error("the link is still a link")
	}
}

func TestWriteAtomicRefuses(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir", "f.txt")
	err := WriteAtomic(missing, []byte("x"), DefaultMode)
	if !errors.Is(err, ErrNoDirectory) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing directory: %v, want ErrNoDirectory naming the path", err)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "no")); !errors.Is(statErr, fs.ErrNotExist) {
		t.Error("a missing directory was created")
	}
	for _, c := range []struct {
		path string
		mode fs.FileMode
		want error
	}{
		{"", DefaultMode, ErrInvalidPath},
		{"a\x00", DefaultMode, ErrInvalidPath},
		{dir + "/", DefaultMode, ErrInvalidPath},
		{filepath.Join(dir, "f"), 0o4755, ErrInvalidMode},
		{filepath.Join(dir, "f"), fs.ModeDir | 0o755, ErrInvalidMode},
	} {
		if err := WriteAtomic(c.path, nil, c.mode); !errors.Is(err, c.want) {
			t.Errorf("WriteAtomic(%q, %v) = %v, want %v", c.path, c.mode, err, c.want)
		}
	}
	// A directory where the file should be: the rename fails, and nothing is left behind.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(sub, []byte("x"), DefaultMode); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("over a directory: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries left in %s, want the directory alone", len(entries), dir)
	}
	// A long path is refused by the system and quoted shortened.
	long := filepath.Join(dir, strings.Repeat("x", 5000))
	if err := WriteAtomic(long, nil, DefaultMode); err == nil || len(err.Error()) > 400 {
		t.Errorf("long path: %v", err)
	}
}

// TestWriteAtomicReadersSeeWholeFiles: while one goroutine rewrites a file, readers only ever see one whole
// version or the other.
func TestWriteAtomicReadersSeeWholeFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env")
	a, b := strings.Repeat("a", 1<<16), strings.Repeat("b", 1<<16)
	if err := WriteAtomic(path, []byte(a), DefaultMode); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			content := a
			if i%2 == 1 {
				content = b
			}
			if err := WriteAtomic(path, []byte(content), DefaultMode); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 300 {
		got, found, err := Read(path)
		if err != nil || !found || (string(got) != a && string(got) != b) {
			t.Fatalf("read %d bytes, found %v, %v: a torn or missing file", len(got), found, err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	if b, found, err := Read(filepath.Join(dir, "none")); err != nil || found || b != nil {
		t.Errorf("missing file: %q, %v, %v; want not found and no error", b, found, err)
	}
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("ünï"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, found, err := Read(path); err != nil || !found || string(b) != "ünï" {
		t.Errorf("Read = %q, %v, %v", b, found, err)
	}
	if _, _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
	if _, _, err := Read(filepath.Join(path, "x")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a path through a file: %v, want an error, not 'no such file'", err)
	}
	if _, _, err := Read(""); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("empty path: %v", err)
	}
}
