package mcpserver

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// salesforceDomains are the domains whose hosts may serve a Salesforce org
// (production, sandboxes, Lightning, sites, Government Cloud, China). An
// instance URL that arrives with a request must be https on one of these,
// or on the operator's allowlist.
var salesforceDomains = []string{
	"salesforce.com", "force.com", "cloudforce.com", "database.com",
	"salesforce.mil", "sfcrmproducts.cn", "salesforce-setup.com",
	"site.com", "salesforce-sites.com",
}

// InstancePolicy decides which instance URLs from requests may be used.
type InstancePolicy struct {
	// Allowed are extra host[:port] entries (SFMCP_ALLOWED_INSTANCE_HOSTS);
	// an entry without a port allows any port of that host. Plain http is
	// accepted only for loopback hosts listed here (the local emulator).
	Allowed []string
}

// errInstanceRefused is wrapped by every refusal.
var errInstanceRefused = errors.New("instance URL refused")

type instanceError struct{ msg string }

func (e *instanceError) Error() string { return "instance URL refused: " + e.msg }
func (e *instanceError) Unwrap() error { return errInstanceRefused }

// Check returns raw's origin ("https://acme.my.salesforce.com") if the
// policy allows it. Nothing is fetched.
func (p InstancePolicy) Check(raw string) (string, error) {
	refuse := func(msg string) (string, error) { return "", &instanceError{msg: msg} }
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return refuse("not an absolute URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return refuse("must be scheme://host with no path, query or credentials")
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	origin := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
	if p.allowListed(host, port) {
		switch u.Scheme {
		case "https":
			return origin, nil
		case "http":
			if isLoopbackName(host) {
				return origin, nil
			}
			return refuse("plain http is allowed only for loopback hosts")
		}
		return refuse("must use https")
	}
	if u.Scheme != "https" {
		return refuse("must use https")
	}
	if port != "" && port != "443" {
		return refuse("a Salesforce instance has no port")
	}
	for _, d := range salesforceDomains {
		if strings.HasSuffix(host, "."+d) {
			return "https://" + host, nil
		}
	}
	return refuse(host + " is not a Salesforce domain nor on SFMCP_ALLOWED_INSTANCE_HOSTS")
}

func (p InstancePolicy) allowListed(host, port string) bool {
	for _, a := range p.Allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" {
			continue
		}
		ah, ap, err := net.SplitHostPort(a)
		if err != nil {
			ah, ap = strings.Trim(a, "[]"), ""
		}
		if ah == host && (ap == "" || ap == port) {
			return true
		}
	}
	return false
}

func isLoopbackName(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
