// Command webserv is an HTTP/1.1 origin server configured by an nginx-style
// file. See README.md and docs/configuration.md.
//
//	webserv [-c FILE | FILE] [-t] [-v | -version] [-h]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"webserv/internal/accesslog"
	"webserv/internal/config"
	"webserv/internal/http1"
	"webserv/internal/server"
	"webserv/internal/site"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageLine is the synopsis, printed after a command-line mistake.
const usageLine = "usage: webserv [-c FILE | FILE] [-t] [-v | -version] [-h]"

// help is what -h, -help and --help print (to standard output: asked-for
// help is not an error).
const help = usageLine + `

webserv is an HTTP/1.1 server configured by an nginx-style FILE. With no
FILE it serves its embedded demo site on http://127.0.0.1:8080/.

  FILE, -c FILE   load the configuration from FILE (flags may come after it)
  -t              check the configuration: print "configuration ok" (after
                  a warning line for each directive ignored), or every
                  error as FILE:LINE:COL: message, and exit 0 or 1
  -v, -version    print the version and exit
  -h, -help       print this help and exit

Environment:
  WEBSERV_LISTEN  the demo site's listen address (default 127.0.0.1:8080);
                  not used with a FILE

Signals:
  SIGINT, SIGTERM stop: close the listeners, let requests in flight finish
                  (up to shutdown_timeout, default 30s), exit 0; a second
                  one cuts the wait short
  SIGHUP          reload FILE; a bad one is logged, the old one keeps serving
  SIGUSR1         reopen the log files (after logrotate renamed them)

Logs go to standard error (error_log, access_log in FILE). Documentation:
README.md, docs/configuration.md (every directive) and docs/behaviour.md
(the HTTP behaviour) in webserv's source tree; runnable configurations in
examples/.
`

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("webserv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // help and mistakes are printed below
	confFlag := fs.String("c", "", "load the configuration from `FILE`")
	testOnly := fs.Bool("t", false, "check the configuration and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.BoolVar(showVersion, "v", false, "print the version and exit")

	// Flags may come before or after FILE (SPEC §1): parse, take one
	// positional argument, parse the rest.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, help)
				return 0
			}
			// The flag package has printed what is wrong.
			fmt.Fprintln(stderr, usageLine)
			fmt.Fprintln(stderr, "run webserv -h for help")
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
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, "webserv", version)
		return 0
	}

	http1.Version = version // server_tokens on shows it
	cfg, siteDir, err := load(files)
	if *testOnly {
		// -t reports like nginx -t: the result, not log lines; the
		// warnings first, one FILE:LINE:COL line each.
		if err == nil {
			for _, w := range cfg.Warnings {
				fmt.Fprintln(stderr, w)
			}
			err = server.CheckCertificates(cfg) // as nginx -t does
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintln(stdout, "configuration ok")
		return 0
	}

	// Everything the server prints to standard error is log/slog text,
	// one format for startup, events and the final line. Until the
	// configured error log is open, lines go to standard error at info.
	boot := slog.New(slog.NewTextHandler(stderr, nil))
	if err != nil {
		// Every configuration error, one line each, as -t shows them.
		var list config.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				boot.Error("cannot start", "err", e)
			}
			return 1
		}
		boot.Error("cannot start", "err", err)
		return 1
	}
	elog, err := openErrorLog(cfg, stderr)
	if err != nil {
		boot.Error("cannot start", "err", err)
		return 1
	}
	defer elog.file.Close()
	log := elog.logger
	for _, w := range cfg.Warnings {
		log.Warn(w.Msg, "pos", w.Pos.String())
	}
	if n := cfg.OpenFileLimit; n > 0 {
		// As nginx does, a limit the system refuses is reported and
		// the server runs with the one it has.
		if err := server.SetOpenFileLimit(n); err != nil {
			log.Warn("cannot set the open file limit", "err", err)
		} else {
			log.Info("open file limit set", "worker_rlimit_nofile", n)
		}
	}

	// CGI programs must not inherit what whoever started us left open.
	server.CloseOnExecInherited()
	// SIGINT/SIGTERM stop, SIGHUP reloads, SIGUSR1 reopens the logs
	// (nginx's and logrotate's conventions). Registered before the ports
	// open: once a client (or a supervisor's health check) can connect, a
	// stop signal must mean a graceful stop, never the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1)
	srv := server.New(cfg, log)
	if err := srv.Listen(nil); err != nil {
		// SPEC §1: a startup problem is a line on standard error, also
		// when the error log is a file.
		if elog.file.Path() != "" {
			log.Error("cannot start", "err", err)
		}
		boot.Error("cannot start", "err", err)
		return 1
	}
	if siteDir != "" {
		log.Info("serving the embedded demo site", "dir", siteDir, "uploads", site.UploadsDir())
	}
	for _, l := range listenURLs(cfg) {
		if l.every {
			log.Info("listening on "+l.url, "addr", l.addr, "every_address", true)
		} else {
			log.Info("listening on " + l.url)
		}
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	var stopSig os.Signal
	for stopSig == nil {
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
				stopSig = sig
			}
		}
	}
	cfg = srv.Config() // the shutdown_timeout in force
	log.Info("shutting down", "signal", stopSig.String(), "timeout", cfg.ShutdownTimeout.String())
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
	err = srv.Shutdown(ctx)
	if err != nil {
		log.Warn("shutdown cut in-flight requests off", "err", err)
	}
	<-served
	log.Info("stopped", "drained", err == nil)
	return 0
}

// listenLine is one listen address as a startup line shows it.
type listenLine struct {
	addr  string // as net.Listen takes it
	url   string // one a browser on this machine can open
	every bool   // the address is a wildcard: every local address
}

// listenURLs returns a URL to open for each listen address of cfg, once
// each, in declaration order. A wildcard address (`listen 8080;`,
// `*:8080`, `0.0.0.0:8080`) is shown as 127.0.0.1, which it includes, and
// `[::]:8080` (IPv6 only, as in nginx) as [::1]: http://:8080/ opens
// nothing.
func listenURLs(cfg *config.Config) []listenLine {
	ssl := make(map[string]bool)
	for _, srv := range cfg.Servers {
		for _, l := range srv.Listens {
			ssl[l.Addr] = ssl[l.Addr] || l.SSL
		}
	}
	var out []listenLine
	for _, addr := range server.Addrs(cfg) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			out = append(out, listenLine{addr: addr, url: "http://" + addr + "/"})
			continue
		}
		l := listenLine{addr: addr}
		switch host {
		case "", "0.0.0.0":
			host, l.every = "127.0.0.1", true
		case "::":
			host, l.every = "::1", true
		}
		scheme, def := "http", "80"
		if ssl[addr] {
			scheme, def = "https", "443"
		}
		hostport := net.JoinHostPort(host, port)
		if port == def {
			hostport = host
			if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
				hostport = "[" + host + "]"
			}
		}
		l.url = scheme + "://" + hostport + "/"
		out = append(out, l)
	}
	return out
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
		for _, w := range cfg.Warnings {
			log.Warn(w.Msg, "pos", w.Pos.String())
		}
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
