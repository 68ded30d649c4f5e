// Package h1 speaks HTTP/1.1 on the caller's goroutine, for serve's hot path.
//
// net/http's server and client each hand every request between goroutines:
// the server starts a background read per request to notice a client going
// away, and the client's connection has a write loop and a read loop that
// the caller talks to through channels. On a small VM, where each system
// call and wake-up is dear, those hand-offs cost more than sfmcp's own work
// for a one-row tool call (BENCHMARKS.md, issue 16). Server and Transport
// here read and write each request on one goroutine, parsing and writing
// the wire format with net/http's own exported pieces (http.ReadRequest,
// http.ReadResponse, Header.Write), and leave everything else to net/http:
// a connection whose request they do not take is handed to an http.Server,
// and a request they do not take (a proxy, another scheme) goes through an
// http.Transport.
package h1
