package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Router is a net/http.ServeMux whose 404 and 405 answers are problem
// documents (the 405 with its Allow header). A request is matched once:
// beside every route, the router registers a method-less pattern for the
// route's path that answers 405, and a catch-all that answers 404, so
// that ServeMux never writes an answer of its own.
type Router struct {
	mux http.ServeMux
	// noSniff sends X-Content-Type-Options: nosniff with every answer.
	noSniff bool

	mu sync.RWMutex
	// allow holds, per path shape (wildcard names left out), the methods
	// some route serves there; shapes lists the patterns registered for
	// the 405 answers.
	allow    map[string][]string
	catchAll bool
}

// Handle registers h for pattern. Unlike ServeMux.Handle it returns an
// error, rather than panicking, when pattern is invalid or conflicts with
// one registered before.
func (rt *Router) Handle(pattern string, h http.Handler) (err error) {
	if err := rt.handle(pattern, h); err != nil {
		return err
	}
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		// A method-less pattern serves every method itself.
		return nil
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !rt.catchAll {
		if err := rt.handle("/", http.HandlerFunc(notFound)); err != nil {
			return err
		}
		rt.catchAll = true
	}
	if rt.allow == nil {
		rt.allow = map[string][]string{}
	}
	shape := pathShape(path)
	methods, known := rt.allow[shape]
	if !known {
		if err := rt.handle(path, rt.methodNotAllowed(shape)); err != nil {
			return err
		}
	}
	if !slices.Contains(methods, method) {
		methods = append(methods, method)
		if method == http.MethodGet && !slices.Contains(methods, http.MethodHead) {
			methods = append(methods, http.MethodHead)
		}
		slices.Sort(methods)
	}
	rt.allow[shape] = methods
	return nil
}

func (rt *Router) handle(pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("route %q: %v", pattern, p)
		}
	}()
	rt.mux.Handle(pattern, h)
	return nil
}

// ServeHTTP dispatches r to the handler registered for it.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rt.noSniff {
		// Every answer, 404s and the handlers' own included: a browser
		// must never guess a type other than the one declared.
		w.Header()["X-Content-Type-Options"] = noSniff
	}
	rt.mux.ServeHTTP(w, r)
}

// pathShape is a pattern's path with its wildcards' names left out: two
// patterns of one shape match the same paths.
func pathShape(path string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			b.WriteString(path)
			return b.String()
		}
		j := strings.IndexByte(path[i:], '}')
		if j < 0 {
			b.WriteString(path)
			return b.String()
		}
		b.WriteString(path[:i])
		switch name := path[i+1 : i+j]; {
		case name == "$":
			b.WriteString("{$}")
		case strings.HasSuffix(name, "..."):
			b.WriteString("{...}")
		default:
			b.WriteString("{}")
		}
		path = path[i+j+1:]
	}
}

// methodNotAllowed answers a request whose path some route serves, but
// not with its method: 405 with the methods that are served.
func (rt *Router) methodNotAllowed(shape string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.mu.RLock()
		allow := strings.Join(rt.allow[shape], ", ")
		rt.mu.RUnlock()
		w.Header().Set("Allow", allow)
		WriteProblem(w, &Problem{Status: http.StatusMethodNotAllowed, Detail: "The path does not support this method."})
	})
}

func notFound(w http.ResponseWriter, r *http.Request) {
	WriteProblem(w, &Problem{Status: http.StatusNotFound, Detail: "No operation matches this path."})
}
