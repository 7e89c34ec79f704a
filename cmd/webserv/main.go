// Command webserv is an HTTP/1.1 origin server configured by an nginx-style
// file. See README.md and docs/configuration.md.
//
//	webserv [-c FILE | FILE] [-t] [-version]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"webserv/internal/accesslog"
	"webserv/internal/config"
	"webserv/internal/server"
	"webserv/internal/site"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webserv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: webserv [-c FILE | FILE] [-t] [-version]")
		fs.PrintDefaults()
	}
	confFlag := fs.String("c", "", "load the configuration from `FILE`")
	testOnly := fs.Bool("t", false, "check the configuration and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")

	// Flags may come before or after FILE (SPEC §1): parse, take one
	// positional argument, parse the rest.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *confFlag != "" {
		files = append(files, *confFlag)
	}
	if len(files) > 1 {
		fmt.Fprintln(stderr, "webserv: more than one configuration file given")
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "webserv", version)
		return 0
	}

	cfg, siteDir, err := load(files)
	if err == nil && *testOnly {
		err = server.CheckCertificates(cfg) // as nginx -t does
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *testOnly {
		fmt.Fprintln(stdout, "configuration ok")
		return 0
	}

	elog, err := openErrorLog(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "webserv:", err)
		return 1
	}
	defer elog.file.Close()
	log := elog.logger

	srv := server.New(cfg, log)
	if err := srv.Listen(nil); err != nil {
		fmt.Fprintln(stderr, "webserv:", err)
		return 1
	}
	if siteDir != "" {
		fmt.Fprintf(stderr, "webserv: serving the embedded demo site from %s\n", siteDir)
		fmt.Fprintf(stderr, "webserv: uploads are stored in %s\n", site.UploadsDir())
	}
	for _, addr := range server.Addrs(cfg) {
		fmt.Fprintf(stderr, "webserv: listening on http://%s/\n", addr)
	}

	// SIGINT/SIGTERM stop, SIGHUP reloads, SIGUSR1 reopens the logs
	// (nginx's and logrotate's conventions).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	for stop := false; !stop; {
		select {
		case err := <-served:
			if err != nil {
				log.Error("server stopped", "err", err)
				return 1
			}
			return 0
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				reload(srv, files, elog)
			case syscall.SIGUSR1:
				reopenLogs(srv, elog)
			default:
				stop = true
			}
		}
	}
	cfg = srv.Config() // the shutdown_timeout in force
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGINT || sig == syscall.SIGTERM {
				cancel() // a second stop signal cuts the drain short
				return
			}
		}
	}()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("shutdown cut in-flight requests off", "err", err)
	}
	<-served
	return 0
}

// load reads the configuration named in files, or the embedded default
// (written out to a cache directory, returned as siteDir) when none is.
func load(files []string) (cfg *config.Config, siteDir string, err error) {
	if len(files) == 1 {
		cfg, err = config.Load(files[0])
		return cfg, "", err
	}
	siteDir, err = site.Extract()
	if err != nil {
		return nil, "", fmt.Errorf("webserv: writing the embedded site: %w", err)
	}
	cfg, err = config.Parse(site.ConfigName, site.Config(), siteDir)
	return cfg, siteDir, err
}

// reload re-reads the configuration on SIGHUP and hands it to the server.
// A configuration that does not parse (the error names FILE:LINE:COL) or
// that the server cannot apply is logged, and the old one keeps serving.
func reload(srv *server.Server, files []string, elog *errorLog) error {
	log := elog.logger
	log.Info("reloading the configuration")
	cfg, _, err := load(files)
	if err == nil {
		err = srv.Reload(cfg)
	} else {
		srv.ReloadFailed()
	}
	if err != nil {
		log.Error("reload failed; the old configuration keeps serving", "err", err)
		return err
	}
	if err := elog.apply(cfg); err != nil {
		log.Error("reload: error_log kept as it was", "err", err)
	}
	log.Info("configuration reloaded", "file", cfg.File)
	return nil
}

// reopenLogs reopens the access logs and a file error log on SIGUSR1,
// after logrotate renamed them.
func reopenLogs(srv *server.Server, elog *errorLog) {
	if err := elog.file.Reopen(); err != nil {
		elog.logger.Error("reopening error_log", "err", err)
	}
	if err := srv.ReopenLogs(); err != nil {
		elog.logger.Error("reopening access logs", "err", err)
	}
	elog.logger.Info("logs reopened")
}

// errorLog is the server's slog logger with what a reload or SIGUSR1 may
// change underneath it: the level and the destination.
type errorLog struct {
	logger *slog.Logger
	level  *slog.LevelVar
	file   *accesslog.File
	stderr io.Writer
}

func openErrorLog(cfg *config.Config, stderr io.Writer) (*errorLog, error) {
	e := &errorLog{level: new(slog.LevelVar), stderr: stderr}
	f, err := e.open(cfg.ErrorLog)
	if err != nil {
		return nil, err
	}
	e.file = f
	e.level.Set(errorLevel(cfg.ErrorLogLevel))
	e.logger = slog.New(slog.NewTextHandler(e.file, &slog.HandlerOptions{Level: e.level}))
	return e, nil
}

func (e *errorLog) open(path string) (*accesslog.File, error) {
	switch path {
	case "", "stderr":
		return accesslog.Stream(e.stderr), nil
	case "stdout":
		return accesslog.Stream(os.Stdout), nil
	}
	f, err := accesslog.OpenFile(path)
	if err != nil {
		return nil, fmt.Errorf("error_log: %w", errors.Unwrap(err))
	}
	return f, nil
}

// apply switches to cfg's error_log level and destination (after a
// reload).
func (e *errorLog) apply(cfg *config.Config) error {
	e.level.Set(errorLevel(cfg.ErrorLogLevel))
	path := cfg.ErrorLog
	if path == "" || path == "stderr" || path == "stdout" {
		path = "" // streams have no path
	}
	if path == e.file.Path() && path != "" {
		return nil
	}
	f, err := e.open(cfg.ErrorLog)
	if err != nil {
		return err
	}
	e.file.Swap(f)
	return nil
}

func errorLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
