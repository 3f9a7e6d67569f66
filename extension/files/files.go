// Package files creates directories and writes and reads the files a load test leaves behind (reports, the
// provisioned environment file) with the guarantees those need: a file is replaced atomically, so a reader
// never sees half of it, and a missing directory is an error, never silently created elsewhere. Paths are
// relative to the process's working directory. The package never imports the JS engine.
package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMode is the permission of a file written without a mode: owner only, since reports and the
// environment file can hold ids and keys.
const DefaultMode fs.FileMode = 0o600

// DirMode is the permission EnsureDir creates directories with (before the umask).
const DirMode fs.FileMode = 0o755

// Sentinel errors; returned errors wrap them, so test with errors.Is. An error from the operating system is
// wrapped too, so errors.Is(err, fs.ErrPermission) and the like work.
var (
	ErrInvalidPath = errors.New("files: invalid path")
	ErrInvalidMode = errors.New("files: invalid mode")
	ErrNoDirectory = errors.New("files: the directory does not exist")
)

// CheckPath refuses a path no operating system call could mean: empty, or holding a NUL byte.
func CheckPath(path string) error {
	switch {
	case path == "":
		return fmt.Errorf("%w: empty", ErrInvalidPath)
	case strings.IndexByte(path, 0) >= 0:
		return fmt.Errorf("%w: %s holds a NUL byte", ErrInvalidPath, Quote(path))
	}
	return nil
}

// EnsureDir creates path and any missing parents, like mkdir -p, with DirMode. An existing directory is fine.
func EnsureDir(path string) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	if err := os.MkdirAll(path, DirMode); err != nil {
		return fmt.Errorf("cannot create the directory %s: %w", Quote(path), reason(err))
	}
	return nil
}

// WriteAtomic replaces the file at path with content: it writes a temporary file in the same directory,
// flushes it to disk, gives it mode and renames it over path, so that path always holds either the old
// content or the new. A symbolic link at path is replaced, not followed. The directory must exist
// (ErrNoDirectory otherwise). mode holds permission bits only (at most 0o777) and is applied exactly,
// without the umask.
func WriteAtomic(path string, content []byte, mode fs.FileMode) (err error) {
	if err := CheckPath(path); err != nil {
		return err
	}
	if mode&^fs.ModePerm != 0 {
		return fmt.Errorf("%w: %#o holds more than permission bits (at most 0o777)", ErrInvalidMode, uint32(mode))
	}
	dir, base := filepath.Split(path)
	if base == "" || base == "." || base == ".." {
		return fmt.Errorf("%w: %s names a directory, not a file", ErrInvalidPath, Quote(path))
	}
	if dir == "" {
		dir = "."
	}
	if info, statErr := os.Stat(dir); statErr != nil || !info.IsDir() {
		if statErr == nil || errors.Is(statErr, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s, so %s cannot be written (create the directory first)", ErrNoDirectory, Quote(dir), Quote(path))
		}
		return fmt.Errorf("cannot write %s: %w", Quote(path), reason(statErr))
	}
	tmp, err := os.CreateTemp(dir, "."+clipName(base)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", Quote(path), reason(err))
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(content); err != nil {
		return fmt.Errorf("cannot write %s: %w", Quote(path), reason(err))
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("cannot write %s: %w", Quote(path), reason(err))
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("cannot set the mode of %s: %w", Quote(path), reason(err))
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", Quote(path), reason(err))
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot replace %s: %w", Quote(path), reason(err))
	}
	return nil
}

// Read returns the content of the file at path, and false when there is no such file. Any other failure (a
// directory, no permission, a path through a file) is an error.
func Read(path string) ([]byte, bool, error) {
	if err := CheckPath(path); err != nil {
		return nil, false, err
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return b, true, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("cannot read %s: %w", Quote(path), reason(err))
}

// reason is the operating system's part of err ("permission denied", "not a directory"), without the path
// and operation that the caller's message already names.
func reason(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	var linkErr *os.LinkError
	if errors.As(err, &linkErr) {
		return linkErr.Err
	}
	return err
}

// Quote quotes a path for a message, shortened when it is long.
func Quote(path string) string {
	const max = 200
	if len(path) > max {
		return fmt.Sprintf("%q… (%d bytes)", path[:max], len(path))
	}
	return fmt.Sprintf("%q", path)
}

// clipName keeps the temporary file's name within the usual 255-byte limit for long file names; the rename
// is what must succeed under the real name.
func clipName(base string) string {
	const max = 200
	if len(base) > max {
		return base[:max]
	}
	return base
}
