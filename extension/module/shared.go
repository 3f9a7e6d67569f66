package module

import (
	"hash/maphash"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
)

// registry holds the cross-VU state behind firstSeen, seen, setSize, agree, count and barrier. It is shared
// by every VU of one k6 process, so all access is synchronised. These run on hot paths (ingest_load calls
// firstSeen on every response from every VU; invariant checks count), so the named sets, agreements and
// counters are found without a process-wide lock, and sets are sharded.
type registry struct {
	sets     sync.Map // name → *valueSet
	agreed   sync.Map // key → the first value, a string
	counters sync.Map // name → *atomic.Int64
	seed     maphash.Seed

	mu       sync.Mutex
	barriers map[string]*barrierState
}

func newRegistry() *registry {
	return &registry{barriers: make(map[string]*barrierState), seed: maphash.MakeSeed()}
}

const setShards = 32

// valueSet stores decimal ids as integers (a third of the memory of strings: a long ingest run records
// hundreds of thousands of them) and anything else as strings.
type valueSet struct {
	seed   maphash.Seed
	shards [setShards]struct {
		mu   sync.RWMutex
		nums map[uint64]struct{}
		strs map[string]struct{}
	}
}

// set returns the named set, making it when create is true; nil when it does not exist and create is false.
func (r *registry) set(name string, create bool) *valueSet {
	if s, ok := r.sets.Load(name); ok {
		return s.(*valueSet)
	}
	if !create {
		return nil
	}
	s := &valueSet{seed: r.seed}
	for i := range s.shards {
		s.shards[i].nums = make(map[uint64]struct{})
		s.shards[i].strs = make(map[string]struct{})
	}
	actual, _ := r.sets.LoadOrStore(name, s)
	return actual.(*valueSet)
}

// number reports whether value is stored as a number: only canonical decimals, so "007" and "7" stay
// distinct values.
func number(value string) (uint64, bool) {
	n, err := strconv.ParseUint(value, 10, 64)
	return n, err == nil && strconv.FormatUint(n, 10) == value
}

// add reports whether value was new to the set.
func (s *valueSet) add(value string) bool {
	if n, ok := number(value); ok {
		sh := &s.shards[n%setShards]
		sh.mu.Lock()
		defer sh.mu.Unlock()
		if _, dup := sh.nums[n]; dup {
			return false
		}
		sh.nums[n] = struct{}{}
		return true
	}
	sh := &s.shards[maphash.String(s.seed, value)%setShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, dup := sh.strs[value]; dup {
		return false
	}
	sh.strs[value] = struct{}{}
	return true
}

// has reports whether value is in the set.
func (s *valueSet) has(value string) bool {
	if n, ok := number(value); ok {
		sh := &s.shards[n%setShards]
		sh.mu.RLock()
		defer sh.mu.RUnlock()
		_, in := sh.nums[n]
		return in
	}
	sh := &s.shards[maphash.String(s.seed, value)%setShards]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	_, in := sh.strs[value]
	return in
}

func (s *valueSet) size() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.nums) + len(sh.strs)
		sh.mu.RUnlock()
	}
	return n
}

// firstSeen(set, value) → true the first time any VU offers value to the set
func firstSeen(c call) sobek.Value {
	name, value := c.name(0), c.str(1)
	return c.rt.ToValue(c.i.root.shared.set(name, true).add(value))
}

// seen(set, value) → whether any VU has offered value to the set; adds nothing
func seen(c call) sobek.Value {
	name, value := c.name(0), c.str(1)
	s := c.i.root.shared.set(name, false)
	return c.rt.ToValue(s != nil && s.has(value))
}

// setSize(set) → the number of distinct values in the set
func setSize(c call) sobek.Value {
	s := c.i.root.shared.set(c.name(0), false)
	if s == nil {
		return c.rt.ToValue(0)
	}
	return c.rt.ToValue(s.size())
}

// agree(key, value) → the value recorded first under key
func agree(c call) sobek.Value {
	key, value := c.name(0), c.str(1)
	first, _ := c.i.root.shared.agreed.LoadOrStore(key, value)
	return c.rt.ToValue(first)
}

// count(name, delta?) → the counter's new total; delta defaults to 0, which reads it
func count(c call) sobek.Value {
	name := c.name(0)
	delta, _ := c.optInteger(1, -maxSafeInteger, maxSafeInteger)
	total, ok := c.i.root.shared.add(name, delta)
	if !ok {
		c.typeError("%s: adding %d to %d would leave the whole numbers JavaScript represents exactly (±2^53)",
			c.label(1), delta, total)
	}
	return c.rt.ToValue(total)
}

// add adds delta to the named counter and returns the new total; false, with the total unchanged, when the
// sum would not be a safe integer.
func (r *registry) add(name string, delta int64) (int64, bool) {
	v, ok := r.counters.Load(name)
	if !ok {
		if delta == 0 {
			return 0, true
		}
		v, _ = r.counters.LoadOrStore(name, new(atomic.Int64))
	}
	ctr := v.(*atomic.Int64)
	for {
		old := ctr.Load()
		sum := old + delta // both within ±2^53, so this cannot overflow int64
		if sum > maxSafeInteger || sum < -maxSafeInteger {
			return old, false
		}
		if delta == 0 || ctr.CompareAndSwap(old, sum) {
			return sum, true
		}
	}
}

// barrierState is a reusable barrier: each time `parties` VUs have arrived, they are released together and
// the next generation starts.
type barrierState struct {
	parties int
	waiting int
	release chan struct{}
}

const (
	defaultBarrierTimeout = 30 * time.Second
	maxBarrierTimeout     = 24 * time.Hour // longer is a mistake (and Infinity once overflowed to no wait at all)
)

// barrier(name, parties, timeoutSeconds?) → true when released with the others, false on timeout
func barrier(c call) sobek.Value {
	name := c.name(0)
	parties := c.integer(1, 1, math.MaxInt32)
	wait := defaultBarrierTimeout
	if v := c.arg(2); !isNullish(v) {
		if !sobek.IsNumber(v) {
			c.typeError("%s must be a number of seconds, got %s", c.label(2), typeName(v))
		}
		secs := v.ToFloat()
		if !(secs > 0) || secs > maxBarrierTimeout.Seconds() {
			c.typeError("%s must be more than 0 and at most %.0f seconds (one day), got %s",
				c.label(2), maxBarrierTimeout.Seconds(), v.String())
		}
		wait = time.Duration(secs * float64(time.Second))
	}
	return c.rt.ToValue(c.i.root.shared.await(c, name, int(parties), wait))
}

func (r *registry) await(c call, name string, parties int, wait time.Duration) bool {
	r.mu.Lock()
	b, ok := r.barriers[name]
	if !ok {
		b = &barrierState{parties: parties, release: make(chan struct{})}
		r.barriers[name] = b
	}
	if b.parties != parties {
		r.mu.Unlock()
		c.typeError("barrier %q was created for %d parties, not %d", clip(name), b.parties, parties)
	}
	b.waiting++
	if b.waiting == b.parties {
		close(b.release)
		b.release = make(chan struct{})
		b.waiting = 0
		r.mu.Unlock()
		return true
	}
	release := b.release
	r.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-release:
		return true
	case <-timer.C:
	case <-c.i.vu.Context().Done():
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-release: // released while we were giving up
		return true
	default:
		b.waiting-- // leave this generation so later arrivals are counted right
		return false
	}
}
