package module

import (
	"hash/maphash"
	"strconv"
	"sync"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/common"
)

// registry holds the cross-VU state behind firstSeen, agree and barrier. It is shared by every VU of one k6
// process, so all access is synchronised; sets are sharded because ingest_load calls firstSeen on every
// response from every VU.
type registry struct {
	mu       sync.Mutex
	sets     map[string]*valueSet
	agreed   map[string]string
	barriers map[string]*barrierState
	seed     maphash.Seed
}

func newRegistry() *registry {
	return &registry{
		sets:     make(map[string]*valueSet),
		agreed:   make(map[string]string),
		barriers: make(map[string]*barrierState),
		seed:     maphash.MakeSeed(),
	}
}

const setShards = 32

// valueSet stores decimal ids as integers (a third of the memory of strings: a long ingest run records
// hundreds of thousands of them) and anything else as strings.
type valueSet struct {
	seed   maphash.Seed
	shards [setShards]struct {
		mu   sync.Mutex
		nums map[uint64]struct{}
		strs map[string]struct{}
	}
}

func (r *registry) set(name string) *valueSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sets[name]
	if !ok {
		s = &valueSet{seed: r.seed}
		for i := range s.shards {
			s.shards[i].nums = make(map[uint64]struct{})
			s.shards[i].strs = make(map[string]struct{})
		}
		r.sets[name] = s
	}
	return s
}

// add reports whether value was new to the set.
func (s *valueSet) add(value string) bool {
	// Only canonical decimals are stored as numbers, so "007" and "7" stay distinct values.
	if n, err := strconv.ParseUint(value, 10, 64); err == nil && strconv.FormatUint(n, 10) == value {
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

func (s *valueSet) size() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.nums) + len(sh.strs)
		sh.mu.Unlock()
	}
	return n
}

// firstSeen(set, value) → true the first time any VU offers value to the set
func (i *Instance) firstSeen(set, value sobek.Value) bool {
	rt := i.vu.Runtime()
	name := stringArg(rt, "firstSeen", "set", set)
	v := stringArg(rt, "firstSeen", "value", value)
	return i.root.shared.set(name).add(v)
}

// setSize(set) → the number of distinct values in the set
func (i *Instance) setSize(set sobek.Value) int {
	name := stringArg(i.vu.Runtime(), "setSize", "set", set)
	return i.root.shared.set(name).size()
}

// agree(key, value) → the value recorded first under key
func (i *Instance) agree(key, value sobek.Value) string {
	rt := i.vu.Runtime()
	k := stringArg(rt, "agree", "key", key)
	v := stringArg(rt, "agree", "value", value)
	r := i.root.shared
	r.mu.Lock()
	defer r.mu.Unlock()
	if first, ok := r.agreed[k]; ok {
		return first
	}
	r.agreed[k] = v
	return v
}

// barrierState is a reusable barrier: each time `parties` VUs have arrived, they are released together and
// the next generation starts.
type barrierState struct {
	parties int
	waiting int
	release chan struct{}
}

const defaultBarrierTimeout = 30 * time.Second

// barrier(name, parties, timeoutSeconds?) → true when released with the others, false on timeout
func (i *Instance) barrier(name, parties, timeout sobek.Value) bool {
	const fn = "barrier"
	rt := i.vu.Runtime()
	n := stringArg(rt, fn, "name", name)
	if common.IsNullish(parties) {
		throwType(rt, "%s: argument \"parties\" is required (how many VUs to wait for)", fn)
	}
	count := toInteger(rt, fn, "argument \"parties\"", "how many VUs to wait for", parties)
	if count < 1 {
		throwType(rt, "%s: argument \"parties\" must be at least 1, got %d", fn, count)
	}
	wait := defaultBarrierTimeout
	if !common.IsNullish(timeout) {
		secs := timeout.ToFloat()
		if !(secs > 0) {
			throwType(rt, "%s: argument \"timeoutSeconds\" must be a positive number, got %s", fn, timeout.String())
		}
		wait = time.Duration(secs * float64(time.Second))
	}

	r := i.root.shared
	r.mu.Lock()
	b, ok := r.barriers[n]
	if !ok {
		b = &barrierState{parties: int(count), release: make(chan struct{})}
		r.barriers[n] = b
	}
	if b.parties != int(count) {
		r.mu.Unlock()
		throwType(rt, "%s: barrier %q was created for %d parties, not %d", fn, n, b.parties, count)
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
	case <-i.vu.Context().Done():
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
