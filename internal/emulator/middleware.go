package emulator

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
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
		if u, changed := cleanURLPath(r.URL); changed {
			r2 := r.Clone(r.Context())
			r2.URL = u
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// cleanURLPath cleans u's path in its escaped form, so only literal dot
// segments and slashes count: "%2E%2E" and "%2F" are data (an external id
// value), not path syntax. The result keeps Path and RawPath in step, and
// handlers split the escaped path and decode each segment once
// (pathSegments).
func cleanURLPath(u *url.URL) (*url.URL, bool) {
	ep := u.EscapedPath()
	c := cleanPath(ep)
	if c == ep {
		return u, false
	}
	p, err := url.PathUnescape(c)
	if err != nil {
		return u, false
	}
	u2 := *u
	u2.Path, u2.RawPath = p, c
	return &u2, true
}

// pathSegments splits the escaped path after prefix at its literal slashes and
// percent-decodes each segment exactly once. ok is false for a bad escape.
func pathSegments(u *url.URL, prefix string) (segs []string, ok bool) {
	rest := strings.Trim(strings.TrimPrefix(u.EscapedPath(), prefix), "/")
	segs = strings.Split(rest, "/")
	for i, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		segs[i] = d
	}
	return segs, true
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
