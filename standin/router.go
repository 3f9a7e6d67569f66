package standin

import (
	"net/http"
	"strings"

	"github.com/valora-k6/valora-k6/valoraid"
)

// reqCtx carries what the middleware resolved: the path parameter, the org and, on session routes, the user.
type reqCtx struct {
	param  string
	orgID  valoraid.ID
	userID valoraid.ID
	sess   *session
	// roleFrom is the org whose membership the role gate reads when it is not orgID (FaultTenantOrgSwitch).
	roleFrom valoraid.ID
}

type hfunc func(w http.ResponseWriter, r *http.Request, rc reqCtx)

type route struct {
	method string
	// segments of the pattern; ":x" matches any non-empty segment (at most one per pattern).
	segs []string
	h    hfunc
}

// router mimics gin as Valora configures it: exact routes, one ":param" per route, a wrong method falls through
// to NoRoute (no 405), and a trailing-slash mismatch redirects (301 for GET, 307 otherwise).
type router struct {
	static map[string]map[string]hfunc // path → method → handler
	params []route
}

func (rt *router) handle(method, pattern string, h hfunc) {
	if !strings.Contains(pattern, "/:") {
		if rt.static == nil {
			rt.static = map[string]map[string]hfunc{}
		}
		m := rt.static[pattern]
		if m == nil {
			m = map[string]hfunc{}
			rt.static[pattern] = m
		}
		m[method] = h
		return
	}
	rt.params = append(rt.params, route{method: method, segs: strings.Split(strings.TrimPrefix(pattern, "/"), "/"), h: h})
}

func (rt *router) match(method, path string) (hfunc, string) {
	if m := rt.static[path]; m != nil {
		if h := m[method]; h != nil {
			return h, ""
		}
	}
	for i := range rt.params {
		r := &rt.params[i]
		if r.method != method {
			continue
		}
		if p, ok := matchSegs(r.segs, path); ok {
			return r.h, p
		}
	}
	return nil, ""
}

// matchSegs matches path against the pattern segments without allocating.
func matchSegs(segs []string, path string) (string, bool) {
	if !strings.HasPrefix(path, "/") {
		return "", false
	}
	rest := path[1:]
	param := ""
	for i, seg := range segs {
		var part string
		if i == len(segs)-1 {
			part = rest
			if strings.Contains(part, "/") {
				return "", false
			}
			rest = ""
		} else {
			var found bool
			part, rest, found = strings.Cut(rest, "/")
			if !found {
				return "", false
			}
		}
		if strings.HasPrefix(seg, ":") {
			if part == "" {
				return "", false
			}
			param = part
		} else if part != seg {
			return "", false
		}
	}
	return param, true
}

func (rt *router) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if h, p := rt.match(r.Method, path); h != nil {
		h(w, r, reqCtx{param: p})
		return
	}
	if path != "/" && r.Method != http.MethodConnect {
		alt := path + "/"
		if strings.HasSuffix(path, "/") {
			alt = strings.TrimSuffix(path, "/")
		}
		if h, _ := rt.match(r.Method, alt); h != nil {
			code := http.StatusMovedPermanently
			if r.Method != http.MethodGet {
				code = http.StatusTemporaryRedirect
			}
			u := *r.URL
			u.Path = alt
			u.RawPath = ""
			http.Redirect(w, r, u.String(), code)
			return
		}
	}
	notFound(w)
}
