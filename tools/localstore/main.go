// Command localstore runs FerretDB (MongoDB wire protocol) with its SQLite
// backend, embedded, as the hub's local store for development and tests.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	host := flag.String("host", "127.0.0.1", "address to listen on")
	port := flag.Int("port", 27018, "TCP port to listen on")
	dataDir := flag.String("data-dir", "var/store", "directory for the SQLite files")
	logFile := flag.String("log-file", "", "log to this file instead of stderr")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	if err := run(*host, *port, *dataDir, *logFile, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "localstore:", err)
		os.Exit(1)
	}
}

func run(host string, port int, dataDir, logFile, logLevel string) error {
	var out io.Writer = os.Stderr
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad -log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))

	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(abs, 0o700); err != nil {
		return err
	}

	addr := net.JoinHostPort(host, strconv.Itoa(port))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	go newIDIndexer(abs, logger).run(ctx, 500*time.Millisecond)

	logger.Warn("localstore listening", slog.String("addr", addr), slog.String("data_dir", abs))
	return f.Run(ctx)
}
