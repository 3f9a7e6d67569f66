//go:build tools

// Package tools pins the build tools the Makefile installs into .bin/ (see `make tools`).
package tools

import (
	_ "github.com/securego/gosec/v2/cmd/gosec"
	_ "go.k6.io/xk6/cmd/xk6"
)
