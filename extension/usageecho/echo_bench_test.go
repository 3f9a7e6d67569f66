package usageecho

import "testing"

// BenchmarkCheck is what ingest_load pays in Go per accepted answer: the body sent read, the answer checked.
func BenchmarkCheck(b *testing.B) {
	answer := echo("created_at", `"2026-01-05T09:42:25.123Z"`)
	for b.Loop() {
		s, err := ParseSent(sentBody)
		if _, ok := Check(answer, &s); err != nil || !ok {
			b.Fatal("the answer does not echo what was sent")
		}
	}
}
