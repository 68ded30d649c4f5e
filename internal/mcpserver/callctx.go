package mcpserver

import (
	"context"

	"github.com/sfmcp/sfmcp/internal/salesforce"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// callCtx is an HTTP request's context once the auth middleware let it in:
// one layer that answers for its Salesforce client (clientKey), its
// caller's identity (telemetry.IdentityKey) and name (ownerOf), and the
// callers' log levels (callerLevelsKey). Each was a context.WithValue
// layer of its own, with the caller's name built twice, on every call
// (issue 16).
type callCtx struct {
	context.Context
	client *salesforce.Client
	owner  string
	// cancel ends the call: the auth middleware wraps callCtx in a
	// context.WithCancel and keeps its cancel here for callers.wrap.
	cancel context.CancelFunc
	// levels is set by callers.wrap before the call runs.
	levels *callerLevels
}

type callCtxKey struct{}

// Value answers the keys callCtx holds and asks the parent for the others.
func (c *callCtx) Value(key any) any {
	switch key.(type) {
	case callCtxKey:
		return c
	case clientKey:
		return c.client
	case telemetry.IdentityKey:
		// Boxed only when asked (the audit log asks once a call).
		if org, user := c.client.Identity(); org != "" || user != "" {
			return telemetry.Identity{OrgID: org, UserID: user}
		}
	case callerLevelsKey:
		if c.levels != nil {
			return c.levels
		}
	}
	return c.Context.Value(key)
}
