package mcpserver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/mark3labs/mcp-go/server"
)

// ServeStdio serves s over newline-delimited JSON-RPC on in and out until in
// ends or ctx is cancelled. out carries JSON-RPC only: the transport's own
// complaints go to log, which the caller points at stderr. tasks is the
// value given to NewServer (Options.Tasks), nil for none.
func ServeStdio(ctx context.Context, s *server.MCPServer, tasks *Tasks, in io.Reader, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	stdio := server.NewStdioServer(s)
	stdio.SetErrorLogger(slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	// Ids are echoed byte for byte (rawid.go).
	ids := newIDEcho()
	lines := &lineWriter{w: out, rewrite: ids.response}
	// The Tasks extension's requests and bad completion requests are
	// answered before mcp-go reads them.
	r := &stdioReader{ctx: ctx, handle: preHandlers(completionCheck(s), tasks.handle), in: bufio.NewReader(ids.reader(in)), out: lines}
	err := stdio.Listen(ctx, r, lines)
	if ferr := lines.flushPartial(); err == nil {
		err = ferr
	}
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
