package standin

import (
	"sync"
	"testing"
	"time"
)

// TestCapacityServesAtItsRate: 60 posts sent at once to a server of capacity 100/s take about 0.6 s in all, in
// order of their turn, and every one is accepted (the queue holds a second of them).
func TestCapacityServesAtItsRate(t *testing.T) {
	h := start(t, Config{Capacity: 100})
	const n = 60
	var wg sync.WaitGroup
	status := make([]int, n)
	begin := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status[i] = h.ingest(uniqueKey("cap")).status
		}()
	}
	wg.Wait()
	took := time.Since(begin)
	for i, s := range status {
		if s != 201 && s != 200 {
			t.Fatalf("post %d answered %d, want it accepted", i, s)
		}
	}
	// 60 turns at 10 ms: the last one comes ~570 ms after the first (two turns of credit at the start). The upper bound only guards against a queue
	// that serves far slower than its rate.
	if took < 500*time.Millisecond || took > 3*time.Second {
		t.Fatalf("%d posts took %s at 100/s, want about 600ms", n, took)
	}
}

// TestCapacityQueueFull: beyond a second of queued work, a post is refused at once with 503 and Retry-After.
func TestCapacityQueueFull(t *testing.T) {
	h := start(t, Config{Capacity: 10})
	const n = 40
	var wg sync.WaitGroup
	answers := make([]resp, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = h.ingest(uniqueKey("cap-full"))
		}()
	}
	wg.Wait()
	refused := 0
	for _, r := range answers {
		if r.status != 503 {
			continue
		}
		refused++
		if r.header.Get("Retry-After") != "1" {
			t.Fatalf("503 without Retry-After: 1 (%q)", r.header.Get("Retry-After"))
		}
		wantEnvelope(t, r, 503, "service_unavailable", "", "")
	}
	// The queue holds 10 and the server releases about one per 100 ms while they arrive: most of 40 are refused.
	if refused < n/2 || refused >= n {
		t.Fatalf("%d of %d refused, want most but not all", refused, n)
	}
}

// TestCapacityRejectsBadValues: a negative capacity, or one above maxCapacity, is a configuration error.
func TestCapacityRejectsBadValues(t *testing.T) {
	for _, c := range []int{-1, maxCapacity + 1} {
		if _, err := New(Config{Capacity: c, Argon2Memory: testArgon2Memory}); err == nil {
			t.Fatalf("Capacity %d accepted", c)
		}
	}
}
