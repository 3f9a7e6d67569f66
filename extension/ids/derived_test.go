package ids

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"io"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/valora-k6/valora-k6/valoraid"
)

// Expected encodings of valoraOrgID computed independently with Python:
//
//	b36 = lambda n: n and b36(n//36) + "0123456789abcdefghijklmnopqrstuvwxyz"[n%36] or ""
//	b62 = lambda n: n and b62(n//62) + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[n%62] or ""
//	b36(2008111837777760256) → f98o8itporuo;  b62(2008111837777760256).rjust(11, "0") → 2OLAl12igzo
//	b62(2**64-1) → LygHa16AHYF;  b36(2**64-1) → 3w5e11264sgsf
//	testRun = 0x0123456789abcdef: b36(testRun).rjust(13, "0") → 00mf9g063v08f;  b62(testRun).rjust(11, "0") → 063UfDVRKBz
const (
	valoraOrgBase36 = "f98o8itporuo"
	valoraOrgBase62 = "2OLAl12igzo"

	testRun       RunID = 0x0123456789abcdef
	testRunBase36       = "00mf9g063v08f"
	testRunBase62       = "063UfDVRKBz"
)

func TestIdempotencyKey(t *testing.T) {
	cases := []struct {
		prefix string
		id     valoraid.ID
		want   string
	}{
		{"", valoraOrgID, "k6-" + testRunBase36 + valoraOrgBase36},
		{"k6", valoraOrgID, "k6-" + testRunBase36 + valoraOrgBase36},
		{"usage.ingest:run_7-A", valoraOrgID, "usage.ingest:run_7-A-" + testRunBase36 + valoraOrgBase36},
		{"x", 1, "x-" + testRunBase36 + "1"},
		{"x", 35, "x-" + testRunBase36 + "z"},
		{"x", 36, "x-" + testRunBase36 + "10"},
		{"x", 1<<63 - 1, "x-" + testRunBase36 + "1y2p0ij32e8e7"},
		{strings.Repeat("p", 64), 1, strings.Repeat("p", 64) + "-" + testRunBase36 + "1"},
	}
	for _, c := range cases {
		got, err := IdempotencyKey(c.prefix, testRun, c.id)
		if err != nil || got != c.want {
			t.Errorf("IdempotencyKey(%q, %d) = %q, %v; want %q", c.prefix, c.id, got, err, c.want)
		}
	}
	// The run id keeps its width, so two runs never meet: run 0 and the largest run id.
	for run, want := range map[RunID]string{0: "k6-0000000000000" + "1", 1<<64 - 1: "k6-3w5e11264sgsf" + "1"} {
		if got, err := IdempotencyKey("k6", run, 1); err != nil || got != want {
			t.Errorf("IdempotencyKey(k6, run %d, 1) = %q, %v; want %q", run, got, err, want)
		}
	}
	if got := testRun.String(); got != testRunBase36 {
		t.Errorf("RunID.String() = %q, want %q", got, testRunBase36)
	}
}

func TestIdempotencyKeyErrors(t *testing.T) {
	for _, prefix := range []string{" ", "k6 run", "a/b", "a\x00", "ключ", "a+b", "é", strings.Repeat("p", 65)} {
		_, err := IdempotencyKey(prefix, testRun, 1)
		if !errors.Is(err, ErrInvalidPrefix) {
			t.Errorf("IdempotencyKey(%q) error = %v, want ErrInvalidPrefix", prefix, err)
			continue
		}
		if len(prefix) <= 64 && !strings.Contains(err.Error(), "A-Z a-z 0-9 . _ : -") {
			t.Errorf("error %q does not say which characters are allowed", err)
		}
	}
	for _, id := range []valoraid.ID{0, -1} {
		if _, err := IdempotencyKey("k6", testRun, id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("IdempotencyKey(k6, %d) error = %v, want ErrInvalidID", id, err)
		}
	}
}

var providerIDPattern = regexp.MustCompile(`^(evt|ch|pi|re|cus|in)_[0-9A-Za-z]{24}$`)

func TestProviderID(t *testing.T) {
	rnd := rand.NewChaCha8([32]byte{1, 2})
	for _, kind := range ProviderKinds {
		got, err := ProviderID(kind, testRun, valoraOrgID, rnd)
		if err != nil {
			t.Fatalf("ProviderID(%q): %v", kind, err)
		}
		if !providerIDPattern.MatchString(got) {
			t.Errorf("ProviderID(%q) = %q, not <kind>_ + 24 base62", kind, got)
		}
		if want := kind + "_" + testRunBase62 + valoraOrgBase62; !strings.HasPrefix(got, want) {
			t.Errorf("ProviderID(%q) = %q, want prefix %q", kind, got, want)
		}
	}

	small, err := ProviderID("ch", 0, 1, rnd)
	if err != nil || !strings.HasPrefix(small, "ch_0000000000000000000001") {
		t.Errorf("ProviderID(ch, 1) = %q, %v; want the id padded to 11 chars", small, err)
	}
	largest, err := ProviderID("evt", 1<<64-1, 1<<63-1, rnd)
	if err != nil || !providerIDPattern.MatchString(largest) {
		t.Errorf("ProviderID(evt, max) = %q, %v", largest, err)
	}
	if got := string(appendPadded62(nil, 1<<64-1)); got != "LygHa16AHYF" {
		t.Errorf("base62 of the largest uint64 = %q, want LygHa16AHYF", got)
	}

	// The random part comes from the reader: the same bytes give the same id, other bytes another one.
	a, _ := ProviderID("pi", testRun, 42, bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	b, _ := ProviderID("pi", testRun, 42, bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	c, _ := ProviderID("pi", testRun, 42, bytes.NewReader(bytes.Repeat([]byte{8}, 64)))
	if a != b || a == c || a != "pi_"+testRunBase62+strings.Repeat("0", 10)+"g"+"77" {
		t.Errorf("ProviderID with fixed randomness: %q %q %q", a, b, c)
	}

	if got, err := ProviderID("re", testRun, 5, nil); err != nil || !providerIDPattern.MatchString(got) {
		t.Errorf("ProviderID with crypto/rand = %q, %v", got, err)
	}
}

func TestProviderIDRejectsOutOfRangeBytes(t *testing.T) {
	// 62 and 63 (after masking to 6 bits) must be skipped rather than folded onto other characters.
	src := append(bytes.Repeat([]byte{62, 63, 0xFF}, 4), bytes.Repeat([]byte{61}, 20)...)
	got, err := ProviderID("in", 0, 1, bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := "in_0000000000000000000001" + "zz"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestProviderIDErrors(t *testing.T) {
	for _, kind := range []string{"", "EVT", "txn", "evt_", "sub"} {
		_, err := ProviderID(kind, testRun, 1, nil)
		if !errors.Is(err, ErrUnknownKind) {
			t.Errorf("ProviderID(%q) error = %v, want ErrUnknownKind", kind, err)
			continue
		}
		for _, k := range ProviderKinds {
			if !strings.Contains(err.Error(), k) {
				t.Errorf("error %q does not list accepted kind %q", err, k)
			}
		}
	}
	for _, id := range []valoraid.ID{0, -5} {
		if _, err := ProviderID("evt", testRun, id, nil); !errors.Is(err, ErrInvalidID) {
			t.Errorf("ProviderID(evt, %d) error = %v, want ErrInvalidID", id, err)
		}
	}
	boom := errors.New("boom")
	if _, err := ProviderID("evt", testRun, 1, iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("reader failure: error = %v, want it wrapped", err)
	}
	if _, err := ProviderID("evt", testRun, 1, bytes.NewReader(make([]byte, 3))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: error = %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := ProviderID("evt", testRun, 1, constReader(0xFF)); err == nil {
		t.Error("a source returning only unusable bytes must fail instead of spinning")
	}
}

func TestPSPReference(t *testing.T) {
	run := strings.ToUpper(testRunBase36)
	cases := map[valoraid.ID]string{
		valoraOrgID: run + "0" + strings.ToUpper(valoraOrgBase36),
		1:           run + "0000000000001",
		35:          run + "000000000000Z",
		0:           run + "0000000000000",
		1<<63 - 1:   run + "1Y2P0IJ32E8E7",
		-1:          run + "3W5E11264SGSF", // read as uint64
	}
	for id, want := range cases {
		if got := PSPReference(testRun, id); got != want || len(got) != PSPReferenceLen {
			t.Errorf("PSPReference(%d) = %q, want %q", id, got, want)
		}
	}
	if got, want := PSPReference(1<<64-1, 1), "3W5E11264SGSF0000000000001"; got != want {
		t.Errorf("PSPReference(max run, 1) = %q, want %q", got, want)
	}
}

type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// TestUniquenessAcrossInstances mirrors a distributed k6 run: four instances (segments 0,1/4,1/2,3/4,1), each
// with one generator shared by 32 VUs. Every id and everything derived from it must be unique across the run.
func TestUniquenessAcrossInstances(t *testing.T) {
	const (
		vusPerInstance = 32
		idsPerVU       = 7_813 // 4 × 32 × 7813 = 1,000,064 ids
	)
	starts := segmentStarts(t, "0,1/4,1/2,3/4,1")
	nodes := make([]int64, len(starts))
	for i, s := range starts {
		nodes[i] = NodeForSegment(s)
		if slices.Contains(nodes[:i], nodes[i]) || nodes[i] <= 1 {
			t.Fatalf("segment nodes %v: duplicate or reserved node", nodes[:i+1])
		}
	}

	type vuResult struct {
		ids  []valoraid.ID
		keys []string
		pids []string
		psps []string
		err  error
	}
	results := make([]vuResult, len(nodes)*vusPerInstance)
	done := make(chan struct{})
	for inst, node := range nodes {
		// A segment without a sequence: the shared generator runs on NodeForSegment(start).
		g, err := NewSharedGenerator(Placement{Segmented: true, Start: starts[inst], Index: -1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if g.Node() != node {
			t.Fatalf("segment %d: shared generator on node %d, want %d", inst, g.Node(), node)
		}
		run, err := NewRunID(crand.Reader) // one per instance, as one per k6 process
		if err != nil {
			t.Fatal(err)
		}
		for vu := 0; vu < vusPerInstance; vu++ {
			r := &results[inst*vusPerInstance+vu]
			seed := byte(inst*vusPerInstance + vu)
			go func() {
				defer func() { done <- struct{}{} }()
				rnd := rand.NewChaCha8([32]byte{seed}) // one per VU, like per-VU state in k6
				r.ids = make([]valoraid.ID, idsPerVU)
				r.keys = make([]string, idsPerVU)
				r.pids = make([]string, idsPerVU)
				r.psps = make([]string, idsPerVU)
				for i := range r.ids {
					id := g.Next()
					r.ids[i] = id
					if r.keys[i], r.err = IdempotencyKey("k6", testRun, id); r.err != nil {
						return
					}
					if r.pids[i], r.err = ProviderID(ProviderKinds[i%len(ProviderKinds)], run, id, rnd); r.err != nil {
						return
					}
					r.psps[i] = PSPReference(run, id)
				}
			}()
		}
	}
	for range results {
		<-done
	}

	total := 0
	seenIDs := make(map[valoraid.ID]struct{}, len(results)*idsPerVU)
	seen := make(map[string]struct{}, 3*len(results)*idsPerVU)
	for _, r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		for i, id := range r.ids {
			if _, dup := seenIDs[id]; dup {
				t.Fatalf("duplicate id %d (%+v)", id, valoraid.Decode(id))
			}
			seenIDs[id] = struct{}{}
			if !slices.Contains(nodes, valoraid.Decode(id).Node) {
				t.Fatalf("id %d has node %d, not one of %v", id, valoraid.Decode(id).Node, nodes)
			}
			for _, s := range [...]string{r.keys[i], r.pids[i], r.psps[i]} {
				if _, dup := seen[s]; dup {
					t.Fatalf("duplicate derived value %q (from id %d)", s, id)
				}
				seen[s] = struct{}{}
			}
		}
		total += len(r.ids)
	}
	if total < 1_000_000 {
		t.Fatalf("generated %d ids, want at least 1,000,000", total)
	}
	t.Logf("%d ids and %d derived values on nodes %v, no duplicates", total, len(seen), nodes)
}

func BenchmarkIdempotencyKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := IdempotencyKey("k6", testRun, valoraOrgID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProviderID(b *testing.B) {
	rnd := rand.NewChaCha8([32]byte{1, 2})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ProviderID("evt", testRun, valoraOrgID, rnd); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProviderIDCryptoRand(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ProviderID("evt", testRun, valoraOrgID, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPSPReference(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		PSPReference(testRun, valoraOrgID)
	}
}
