package redisurl

import (
	"strings"
	"testing"
)

// TestNew reads each URL form the README documents into the client kind
// it names, and refuses the rest with a message that never holds the
// password. No server is needed: go-redis connects on first use.
func TestNew(t *testing.T) {
	for _, tt := range []struct {
		url     string
		cluster bool
		where   string
		err     string
	}{
		{url: "redis://localhost:6379", where: "localhost:6379"},
		{url: "redis://:pw@10.0.0.1:6380/2", where: "10.0.0.1:6380"},
		{url: "rediss://user:pw@cache.example.com:6380", where: "cache.example.com:6380"},
		{url: "redis+cluster://a:7000?addr=b:7001&addr=c:7002", cluster: true, where: "cluster a:7000,b:7001,c:7002"},
		{url: "rediss+cluster://u:pw@a:7000", cluster: true, where: "cluster a:7000"},
		{url: "redis+sentinel://s1:26379?master_name=mymaster&addr=s2:26379", where: "sentinel s1:26379,s2:26379 master mymaster"},
		{url: "REDIS+Sentinel://s1:26379?master_name=m", where: "sentinel s1:26379 master m"},
		{url: "redis+sentinel://:secret@s1:26379", err: "needs ?master_name=<name>"},
		{url: "redis+sentinel://s1:26379?password=secret&nope=1", err: "nope"},
		{url: "localhost:6379", err: "not a URL"},
		{url: "http://:secret@localhost:6379", err: `scheme "http"`},
		{url: "redis+shard://:secret@a:1", err: `scheme "redis+shard"`},
		{url: "redis://:secret@a:1?dial_timeout=soon", err: "dial_timeout"},
	} {
		t.Run(tt.url, func(t *testing.T) {
			c, err := New(tt.url)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("New(%q) = %v; want an error with %q", tt.url, err, tt.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Cluster != tt.cluster || c.Where != tt.where {
				t.Errorf("cluster %v, where %q; want %v, %q", c.Cluster, c.Where, tt.cluster, tt.where)
			}
		})
	}
}
