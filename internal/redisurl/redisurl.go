// Package redisurl turns sfmcp's REDIS_URL into a go-redis client: one
// server, a Redis Cluster or a Sentinel-managed primary. Every part of sfmcp
// that shares state through Redis (the OAuth proxy's store, bearer token
// validations, lead locks) reads the URL here, so one REDIS_URL means the
// same deployment to all of them.
package redisurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bounds of every Redis operation: a Redis that hangs must turn into a 503
// within seconds, not hold requests.
const (
	DialTimeout = 5 * time.Second
	IOTimeout   = 3 * time.Second
)

// Client is a connection to the Redis a URL names.
type Client struct {
	redis.UniversalClient
	// Cluster is true for a Redis Cluster, which refuses multi-key commands
	// across hash slots.
	Cluster bool
	// Where names the servers for messages: "127.0.0.1:6379", "cluster
	// a:1,b:2", "sentinel a:1 master m". Never a password.
	Where string
}

// New makes a client for rawURL, without connecting yet:
//
//	redis://[user:password@]host:port[/db]                     one server (rediss:// for TLS)
//	redis+cluster://[user:password@]host:port?addr=host2:port  a Redis Cluster, seed nodes
//	redis+sentinel://[user:password@]host:port[/db]?master_name=m&addr=host2:port[&password=p]
//	                                                           Sentinel: the sentinels' addresses,
//	                                                           their credentials in the user
//	                                                           information, the primary's in the query
//
// (rediss+cluster:// and rediss+sentinel:// use TLS.) The query takes
// go-redis's URL options (dial_timeout, ...); sfmcp then bounds dialing to
// 5 s, each read and write to 3 s or the context's deadline if sooner, and
// retries a failed command once.
// Errors name the URL without its password.
func New(rawURL string) (*Client, error) {
	c, err := newClient(rawURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL %s: %w", Redact(rawURL), err)
	}
	return c, nil
}

const wantSchemes = "want redis, rediss, redis+cluster, rediss+cluster, redis+sentinel or rediss+sentinel"

func newClient(rawURL string) (*Client, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("not a URL (" + wantSchemes + ")")
	}
	base, mode, _ := strings.Cut(strings.ToLower(scheme), "+")
	if base != "redis" && base != "rediss" {
		return nil, fmt.Errorf("scheme %q: %s", scheme, wantSchemes)
	}
	plain := base + "://" + rest
	switch mode {
	case "":
		o, err := redis.ParseURL(plain)
		if err != nil {
			return nil, err
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries, o.ContextTimeoutEnabled = DialTimeout, IOTimeout, IOTimeout, 1, true
		return &Client{UniversalClient: redis.NewClient(o), Where: o.Addr}, nil
	case "cluster":
		o, err := redis.ParseClusterURL(plain)
		if err != nil {
			return nil, err
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries, o.ContextTimeoutEnabled = DialTimeout, IOTimeout, IOTimeout, 1, true
		return &Client{UniversalClient: redis.NewClusterClient(o), Cluster: true, Where: "cluster " + strings.Join(o.Addrs, ",")}, nil
	case "sentinel":
		o, err := redis.ParseFailoverURL(plain)
		if err != nil {
			return nil, err
		}
		if o.MasterName == "" {
			return nil, errors.New(scheme + ":// needs ?master_name=<name>")
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.MaxRetries, o.ContextTimeoutEnabled = DialTimeout, IOTimeout, IOTimeout, 1, true
		return &Client{UniversalClient: redis.NewFailoverClient(o),
			Where: "sentinel " + strings.Join(o.SentinelAddrs, ",") + " master " + o.MasterName}, nil
	}
	return nil, fmt.Errorf("scheme %q: %s", scheme, wantSchemes)
}

// Redact hides the passwords of a Redis URL: the user information's and a
// sentinel URL's primary password in the query (password=).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
