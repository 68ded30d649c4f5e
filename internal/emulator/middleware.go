package emulator

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
)

// cleanPaths serves a path with doubled slashes or dot segments as its clean
// form, as Salesforce does. The sf CLI keeps instance URLs with a trailing
// slash and so asks for //services/data/...; Go's ServeMux would answer such
// a path with a redirect whose Location is relative, which the sf CLI cannot
// follow.
func cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := cleanPath(r.URL.Path); p != r.URL.Path {
			r2 := r.Clone(r.Context())
			r2.URL.Path = p
			r2.URL.RawPath = ""
			if r.URL.RawPath != "" {
				if rp := cleanPath(r.URL.RawPath); rp != p {
					r2.URL.RawPath = rp
				}
			}
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// cleanPath collapses repeated slashes and resolves . and .. segments,
// keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p
	}
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// recoverPanics turns a panic in a handler into Salesforce's 500
// UNKNOWN_EXCEPTION answer instead of a dropped connection, and logs it.
func (e *Emulator) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value, never wrapped
				panic(v)
			}
			errorID := randomString(10)
			e.org.log.Error("handler panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "errorId", errorID, "stack", string(debug.Stack()))
			if tw.wrote {
				// Part of the answer is on its way; there is nothing better
				// to do than end it here.
				return
			}
			writeError(tw, errf(http.StatusInternalServerError, "UNKNOWN_EXCEPTION", nil,
				"An unexpected error occurred. Please include this ErrorId if you contact support: %s", errorID))
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter records whether the response has begun.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (for Hijack and
// Flush).
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// Flush passes flushes through for streamed answers.
func (t *trackingWriter) Flush() {
	t.wrote = true
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets the drop fault close the connection.
func (t *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	t.wrote = true
	hj, ok := t.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("emulator: connection cannot be hijacked")
	}
	return hj.Hijack()
}
