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
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *testOnly {
		fmt.Fprintln(stdout, "configuration ok")
		return 0
	}

	log, closeLog, err := openErrorLog(cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "webserv:", err)
		return 1
	}
	defer closeLog()

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

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	select {
	case err := <-served:
		if err != nil {
			log.Error("server stopped", "err", err)
			return 1
		}
		return 0
	case sig := <-sigs:
		log.Info("shutting down", "signal", sig.String(), "timeout", cfg.ShutdownTimeout.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	go func() {
		<-sigs // a second signal cuts the drain short
		cancel()
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

func openErrorLog(cfg *config.Config, stderr io.Writer) (*slog.Logger, func(), error) {
	var level slog.Level
	switch cfg.ErrorLogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	out, closeFn := stderr, func() {}
	switch cfg.ErrorLog {
	case "", "stderr":
	case "stdout":
		out = os.Stdout
	default:
		f, err := os.OpenFile(cfg.ErrorLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("error_log: %w", errors.Unwrap(err))
		}
		out, closeFn = f, func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level})), closeFn, nil
}
