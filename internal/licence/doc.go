// Package licence holds the test that keeps k6 (AGPL-3.0) and its JavaScript engine confined to the module's
// glue: only the root package and extension/module may import them, so the domain packages, the stand-in and the
// benchmark harness stay plain Go that can be reused, and distributed, under this repository's Apache-2.0 alone.
// docs/licensing.md explains what the licences cover.
package licence
