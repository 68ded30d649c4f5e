package mcpserver

import (
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// addrLimiter allows each client address perMinute events in a fixed
// one-minute window. It remembers at most maxRemembered addresses: past that,
// ended windows are dropped, and if none has ended the newcomer is refused
// (a flood of addresses must not grow the map).
type addrLimiter struct {
	perMinute int

	mu   sync.Mutex
	wins map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newAddrLimiter(perMinute int) *addrLimiter {
	if perMinute <= 0 {
		perMinute = defaultValidationsPerMinute
	}
	return &addrLimiter{perMinute: perMinute, wins: map[string]*window{}}
}

// allow counts one event from addr; when over the limit it returns how long
// until the window ends.
func (l *addrLimiter) allow(addr string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.wins[addr]
	if ok && now.Sub(w.start) >= time.Minute {
		w.start, w.n = now, 0
	}
	if !ok {
		if len(l.wins) >= maxRemembered {
			for a, old := range l.wins {
				if now.Sub(old.start) >= time.Minute {
					delete(l.wins, a)
				}
			}
			if len(l.wins) >= maxRemembered {
				return time.Minute, false
			}
		}
		w = &window{start: now}
		l.wins[addr] = w
	}
	if w.n >= l.perMinute {
		return w.start.Add(time.Minute).Sub(now), false
	}
	w.n++
	return 0, true
}

// clientAddr is the request's client IP (no port: a client opens many).
func clientAddr(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// refusalLog logs refused requests as a summary: the first refusal after a
// quiet interval at once, then one line per interval with the counts of
// what was refused since (each refusal is at DEBUG). A flood of bad tokens
// cannot flood the log.
type refusalLog struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	last    time.Time      // when a summary line was last written
	counts  map[string]int // status+code → refusals since
	remotes map[string]struct{}
}

func newRefusalLog(log *slog.Logger, interval time.Duration, now func() time.Time) *refusalLog {
	return &refusalLog{log: log, interval: interval, now: now, counts: map[string]int{}, remotes: map[string]struct{}{}}
}

func (l *refusalLog) add(f *authFailure, remote string) {
	l.log.Debug("request refused", "status", f.status, "code", f.code, "reason", f.msg, "remote", remote)
	now := l.now()
	l.mu.Lock()
	l.counts[http.StatusText(f.status)+"/"+f.code]++
	if len(l.remotes) < 1000 {
		l.remotes[remote] = struct{}{}
	}
	if !l.last.IsZero() && now.Sub(l.last) < l.interval {
		l.mu.Unlock()
		return
	}
	total := 0
	kinds := make([]string, 0, len(l.counts))
	for k, n := range l.counts {
		total += n
		kinds = append(kinds, k+"="+strconv.Itoa(n))
	}
	sort.Strings(kinds)
	addrs := len(l.remotes)
	l.last = now
	clear(l.counts)
	clear(l.remotes)
	l.mu.Unlock()
	l.log.Info("requests refused", "count", total, "kinds", strings.Join(kinds, ","), "addresses", addrs,
		"latest_reason", f.msg, "next_summary_in", l.interval)
}
