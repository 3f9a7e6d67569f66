package module

import (
	"errors"
	"io/fs"

	"github.com/grafana/sobek"

	"github.com/valora-k6/valora-k6/extension/files"
)

// ensureDir(path) → mkdir -p with 0755
func ensureDir(c call) sobek.Value {
	path := c.str(0)
	c.fileError(files.EnsureDir(path))
	return sobek.Undefined()
}

// writeFile(path, content, mode?) → atomically replaces the file; the directory must exist; mode 0600 unless given
func writeFile(c call) sobek.Value {
	path := c.str(0)
	content := c.bytes(1)
	mode := int64(files.DefaultMode)
	if m, given := c.optInteger(2, 0, int64(fs.ModePerm)); given {
		mode = m
	}
	c.fileError(files.WriteAtomic(path, content, fs.FileMode(mode)))
	return sobek.Undefined()
}

// readFile(path) → the file's content as text, or null when there is no such file
func readFile(c call) sobek.Value {
	path := c.str(0)
	b, found, err := files.Read(path)
	c.fileError(err)
	if !found {
		return sobek.Null()
	}
	return c.rt.ToValue(string(b))
}

// fileError throws err, if any: a TypeError for a path or mode no system call could take, an Error naming
// the path and the operating system's reason otherwise.
func (c call) fileError(err error) {
	switch {
	case err == nil:
		return
	case errors.Is(err, files.ErrInvalidPath):
		c.typeError("%s: %v", c.label(0), err)
	case errors.Is(err, files.ErrInvalidMode):
		c.typeError("%s: %v", `argument "mode"`, err)
	}
	c.fail(err)
}
