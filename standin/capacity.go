package standin

import (
	"net/http"
	"sync"
	"time"
)

// serviceQueue gives POST /api/usage a known capacity (Config.Capacity): a server that completes at most rate
// requests a second, in arrival order. A request waits in a bounded FIFO queue for its turn, so latency grows with
// the backlog as in a saturated real server; a request that finds the queue full is refused at once with 503
// service_unavailable and Retry-After: 1, as a proxy in front of an overloaded Valora answers. Valora itself has no
// such limit: this is how the capacity scenario is proven against a server whose knee is known.
type serviceQueue struct {
	interval time.Duration
	waiting  chan chan struct{} // the queue: each entry is released (closed) when its turn comes
	start    sync.Once
	stopOnce sync.Once
	stop     chan struct{}
}

// capacityQueueSeconds is how much work the queue holds: one second of it (rate entries), so the longest wait is
// about a second before the server refuses; memory stays bounded by rate entries and the goroutines waiting on them.
const capacityQueueSeconds = 1

func newServiceQueue(rate int) *serviceQueue {
	return &serviceQueue{
		interval: time.Second / time.Duration(rate),
		waiting:  make(chan chan struct{}, rate*capacityQueueSeconds),
		stop:     make(chan struct{}),
	}
}

// serveCredit is how long an idle server may catch up on turns it missed: a tenth of a second. A burst that
// follows a pause of the client (a generator that stalled for 100 ms) is then served as a server of several workers
// would serve it, instead of queueing for ever behind the missed turns; sustained, the rate is never above rate, and
// no second serves more than 1.1 × rate.
const serveCredit = 100 * time.Millisecond

// serve releases one waiting request every interval, in arrival order.
func (q *serviceQueue) serve() {
	next := time.Now()
	timer := time.NewTimer(0)
	<-timer.C
	for {
		var turn chan struct{}
		select {
		case turn = <-q.waiting:
		case <-q.stop:
			return
		}
		now := time.Now()
		if floor := now.Add(-max(serveCredit, 2*q.interval)); next.Before(floor) {
			next = floor
		}
		if next.After(now) {
			timer.Reset(next.Sub(now))
			select {
			case <-timer.C:
			case <-q.stop:
				close(turn)
				return
			}
		}
		close(turn)
		next = next.Add(q.interval)
	}
}

// enter waits for the request's turn. It returns false, having answered, when the queue is full or the client
// went away; a request whose client left still costs the server its turn, as in a real server.
func (q *serviceQueue) enter(w http.ResponseWriter, r *http.Request) bool {
	q.start.Do(func() { go q.serve() })
	turn := make(chan struct{})
	select {
	case q.waiting <- turn:
	default:
		w.Header()["Retry-After"] = []string{"1"}
		writeError(w, errUnavailable)
		return false
	}
	select {
	case <-turn:
		return true
	case <-r.Context().Done():
		return false
	case <-q.stop:
		writeError(w, errUnavailable)
		return false
	}
}

func (q *serviceQueue) close() { q.stopOnce.Do(func() { close(q.stop) }) }

// errUnavailable answers a request the full capacity queue refused (Config.Capacity).
var errUnavailable = &apiError{status: http.StatusServiceUnavailable, typ: "service_unavailable", msg: "service unavailable"}

// withCapacity queues POST /api/usage behind Config.Capacity; a no-op when it is 0.
func (s *Server) withCapacity(h hfunc) hfunc {
	if s.capacity == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request, rc reqCtx) {
		if s.capacity.enter(w, r) {
			h(w, r, rc)
		}
	}
}

// maxCapacity bounds Config.Capacity: the queue holds a second of requests.
const maxCapacity = 100000
