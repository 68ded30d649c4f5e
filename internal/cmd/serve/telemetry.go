package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sfmcp/sfmcp/internal/config"
	"github.com/sfmcp/sfmcp/internal/telemetry"
)

// startTelemetry opens what --metrics-addr, --audit-log and the OTEL_*
// variables ask for, before anything is served: a metrics address in use or
// an unwritable audit log stops serve at once with a clear error, rather
// than leaving operators blind. The returned function flushes and closes.
func startTelemetry(ctx context.Context, opts *Options, cfg *config.Config, log *slog.Logger) (*telemetry.Telemetry, func(), error) {
	tel := opts.Telemetry
	if tel == nil {
		tel = &telemetry.Telemetry{}
	}
	tel.Logger = log
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if path := cfg.String(config.KeyAuditLog); path != "" {
		if path == "-" && opts.Transport == "stdio" {
			log.Info("audit lines go to stderr (stdout carries JSON-RPC)")
		}
		a, err := telemetry.OpenAuditLog(path)
		if err != nil {
			return nil, nil, fmt.Errorf("--audit-log %s: cannot open it for appending: %w", path, errors.Unwrap(err))
		}
		tel.Audit = a
		closers = append(closers, func() { _ = a.Close() })
		// logrotate's postrotate sends SIGHUP; the writer also notices a
		// renamed file by itself within a second.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					if err := a.Reopen(); err != nil {
						log.Error("cannot reopen the audit log", "error", err)
					}
				}
			}
		}()
		closers = append(closers, func() { signal.Stop(hup) })
	}
	if opts.MetricsAddr != "" {
		m := telemetry.NewMetrics()
		ln, err := net.Listen("tcp", opts.MetricsAddr)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("--metrics-addr %s: %w", opts.MetricsAddr, err)
		}
		tel.Metrics = m
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() { _ = srv.Serve(ln) }()
		log.Info("serving Prometheus metrics", "url", "http://"+ln.Addr().String()+"/metrics")
		closers = append(closers, func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		})
	}
	tp, err := telemetry.NewTracerProvider(ctx, opts.Version)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	if tp != nil {
		tel.Tracer = telemetry.Tracer(tp)
		log.Info("exporting OpenTelemetry traces over OTLP/HTTP")
		closers = append(closers, func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tp.Shutdown(sctx); err != nil {
				log.Warn("flushing traces failed", "error", err)
			}
		})
	}
	return tel, closeAll, nil
}
