package httpapi

import (
	"fmt"
	"net/http"
)

// Router is a net/http.ServeMux whose 404 and 405 answers are problem
// documents (the 405 keeps ServeMux's Allow header).
type Router struct {
	mux http.ServeMux
	// noSniff sends X-Content-Type-Options: nosniff with every answer.
	noSniff bool
}

// Handle registers h for pattern. Unlike ServeMux.Handle it returns an
// error, rather than panicking, when pattern is invalid or conflicts with
// one registered before.
func (rt *Router) Handle(pattern string, h http.Handler) (err error) {
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
	if _, pattern := rt.mux.Handler(r); pattern == "" {
		rt.mux.ServeHTTP(&problemWriter{ResponseWriter: w}, r)
		return
	}
	rt.mux.ServeHTTP(w, r)
}

// problemWriter turns ServeMux's plain-text error answers into problem
// documents.
type problemWriter struct {
	http.ResponseWriter
	replaced bool
}

func (pw *problemWriter) WriteHeader(status int) {
	if status >= 400 && !pw.replaced {
		pw.replaced = true
		detail := "No operation matches this path."
		if status == http.StatusMethodNotAllowed {
			detail = "The path does not support this method."
		}
		if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			detail = ""
		}
		pw.Header().Del("Content-Type")
		WriteProblem(pw.ResponseWriter, &Problem{Status: status, Detail: detail})
		return
	}
	pw.ResponseWriter.WriteHeader(status)
}

func (pw *problemWriter) Write(b []byte) (int, error) {
	if pw.replaced {
		return len(b), nil
	}
	return pw.ResponseWriter.Write(b)
}
