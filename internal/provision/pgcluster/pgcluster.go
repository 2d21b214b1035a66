// Package pgcluster starts a throwaway PostgreSQL cluster of its own, for the
// tests that need a server configured differently from the machine's shared
// one (wal_level=logical, say). The shared server is never touched: each
// cluster lives in a fresh temporary directory, listens on a free loopback
// port and is stopped (immediate mode) and deleted afterwards.
//
// A cluster is started with the server binaries of the machine, the newest
// /usr/lib/postgresql/*/bin (Debian's layout), else initdb and pg_ctl from
// PATH:
//
//	initdb -D DIR/data -U postgres --auth=trust -E UTF8 --locale=C --no-sync
//	pg_ctl -D DIR/data -l DIR/postgres.log -w -t 60 -s \
//	  -o "-c listen_addresses=127.0.0.1 -c port=P -c unix_socket_directories=DIR -c fsync=off -c k=v…" start
//	pg_ctl -D DIR/data -m immediate -w -t 30 -s stop
//
// initdb refuses to run as root, so when the process runs as root both
// commands run as the `postgres` OS user (the one Debian's postgresql package
// creates) and DIR is handed to that user.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotInstalled is wrapped by the errors of Start that mean this machine
// cannot run a PostgreSQL server of its own at all (no server binaries, or
// running as root with no unprivileged `postgres` user to run them as), as
// opposed to a server that failed to start.
var ErrNotInstalled = errors.New("PostgreSQL server is not installed here")

// Options configure Start.
type Options struct {
	// Settings are extra server settings, passed as `-c name=value`; they
	// override the defaults (listen_addresses, port, unix_socket_directories,
	// fsync=off) except port and listen_addresses.
	Settings map[string]string
	// Log receives progress lines; nil discards them.
	Log *slog.Logger
}

// Cluster is one running throwaway server. Its superuser is `postgres`, with
// trust authentication on loopback.
type Cluster struct {
	Port    int
	Dir     string // temporary directory: data/, postgres.log, the socket
	BinDir  string // where initdb was found
	Version string // e.g. "15.19"

	pgctl    string
	cred     *syscall.Credential
	log      *slog.Logger
	stopOnce sync.Once
}

// DataDir is the cluster's data directory.
func (c *Cluster) DataDir() string { return filepath.Join(c.Dir, "data") }

// LogFile is the server's log.
func (c *Cluster) LogFile() string { return filepath.Join(c.Dir, "postgres.log") }

// DSN is a connection URL for database db ("" means postgres) as the
// superuser postgres over TCP loopback.
func (c *Cluster) DSN(db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, url.PathEscape(db))
}

var settingName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// Start creates and starts a cluster; the caller must Stop it. ctx bounds
// the whole start (initdb, start, first connection).
func Start(ctx context.Context, opt Options) (*Cluster, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for name := range opt.Settings {
		if !settingName.MatchString(name) {
			return nil, fmt.Errorf("pgcluster: setting name %q is not a PostgreSQL parameter name (letters, digits, _ and . only)", name)
		}
	}
	began := time.Now()
	bins, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := unprivilegedUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tempBase(cred != nil), "hbh-pgcluster-")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: making a temporary directory for the cluster: %w (set TMPDIR to a writable directory)", err)
	}
	c := &Cluster{Dir: dir, BinDir: filepath.Dir(bins.initdb), pgctl: bins.pgctl, cred: cred, log: log}
	ok := false
	defer func() {
		if !ok {
			c.Stop() // stops a postmaster left running by a failed start, removes dir
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("pgcluster: handing %s to the postgres OS user (initdb refuses to run as root): %w", dir, err)
		}
	}
	if out, err := c.run(ctx, bins.pgctl, "--version"); err == nil {
		// "pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
		if f := strings.Fields(string(out)); len(f) >= 3 {
			c.Version = f[2]
		}
	}

	t0 := time.Now()
	if out, err := c.run(ctx, bins.initdb, "-D", c.DataDir(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("pgcluster: %s failed in %s: %w\n%s\n(is the disk full, or is %s not writable by the postgres user?)",
			bins.initdb, dir, err, tail(out, 20), dir)
	}
	initdbTook := time.Since(t0)

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("pgcluster: finding a free loopback port: %w", err)
		}
		c.Port = port
		lastErr = c.startServer(ctx, opt.Settings)
		if lastErr == nil {
			break
		}
		logText, _ := os.ReadFile(c.LogFile())
		if ctx.Err() != nil || !bytes.Contains(logText, []byte("could not bind")) {
			break // only a port taken between picking and binding is worth a retry
		}
		log.Info("pgcluster: port taken meanwhile, retrying", "port", port)
	}
	if lastErr != nil {
		return nil, lastErr
	}
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	ok = true
	log.Info("pgcluster: started", "version", c.Version, "port", c.Port, "dir", c.Dir,
		"initdb", initdbTook.Round(time.Millisecond), "total", time.Since(began).Round(time.Millisecond))
	return c, nil
}

func (c *Cluster) startServer(ctx context.Context, extra map[string]string) error {
	settings := map[string]string{
		"unix_socket_directories": c.Dir,
		"fsync":                   "off",
	}
	for k, v := range extra {
		settings[k] = v
	}
	settings["listen_addresses"] = "127.0.0.1"
	settings["port"] = strconv.Itoa(c.Port)
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	slices.Sort(names)
	var opts []string
	for _, k := range names {
		// pg_ctl hands -o to /bin/sh, hence the shell quoting.
		opts = append(opts, "-c", shellQuote(k+"="+settings[k]))
	}
	out, err := c.run(ctx, c.pgctl, "-D", c.DataDir(), "-l", c.LogFile(), "-w", "-t", "60", "-s",
		"-o", strings.Join(opts, " "), "start")
	if err != nil {
		logText, _ := os.ReadFile(c.LogFile())
		return fmt.Errorf("pgcluster: %s start (port %d, settings %v) failed: %w\n%s\nserver log %s:\n%s",
			c.pgctl, c.Port, extra, err, tail(out, 10), c.LogFile(), tail(logText, 20))
	}
	return nil
}

// waitReady connects until the server answers (pg_ctl -w already waited for
// the postmaster; this also proves TCP and authentication work).
func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgconn.Connect(cctx, c.DSN(""))
		cancel()
		if err == nil {
			_ = conn.Close(ctx)
			return nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			logText, _ := os.ReadFile(c.LogFile())
			return fmt.Errorf("pgcluster: the server started but does not accept connections on 127.0.0.1:%d: %w\nserver log %s:\n%s",
				c.Port, err, c.LogFile(), tail(logText, 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (immediate mode: nothing of it is kept) and removes
// its directory. Safe to call more than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()
		if _, err := os.Stat(filepath.Join(c.DataDir(), "postmaster.pid")); err == nil {
			if out, err := c.run(ctx, c.pgctl, "-D", c.DataDir(), "-m", "immediate", "-w", "-t", "30", "-s", "stop"); err != nil {
				c.log.Warn("pgcluster: pg_ctl stop failed, killing the postmaster", "err", err, "output", tail(out, 5))
				c.killPostmaster()
			}
		}
		if err := os.RemoveAll(c.Dir); err != nil {
			c.log.Warn("pgcluster: removing the cluster directory failed", "dir", c.Dir, "err", err)
			return
		}
		c.log.Info("pgcluster: stopped", "port", c.Port, "dir", c.Dir)
	})
}

// killPostmaster kills the postmaster this cluster started (its pid from its
// own postmaster.pid), as a last resort when pg_ctl cannot stop it.
func (c *Cluster) killPostmaster() {
	b, err := os.ReadFile(filepath.Join(c.DataDir(), "postmaster.pid"))
	if err != nil {
		return
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 1 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for range 100 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// run runs a PostgreSQL tool, as the postgres OS user when we are root, with
// PG* variables removed from its environment so that none of the caller's
// settings (PGPORT, PGDATA, …) leak into it.
func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.Dir
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	if c.cred != nil {
		env = append(env, "HOME="+c.Dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	cmd.Env = append(env, "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// pg_ctl start leaves the postmaster running with our output pipes
	// unless it is told otherwise; -l redirects the server, and WaitDelay
	// keeps a stray holder of the pipe from blocking us forever.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

type binaries struct{ initdb, pgctl string }

// findBinaries picks the newest /usr/lib/postgresql/*/bin holding initdb,
// pg_ctl and postgres, else initdb and pg_ctl from PATH.
func findBinaries() (binaries, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	type cand struct {
		dir string
		ver []int
	}
	var cands []cand
	for _, d := range dirs {
		if !executable(filepath.Join(d, "initdb")) || !executable(filepath.Join(d, "pg_ctl")) || !executable(filepath.Join(d, "postgres")) {
			continue
		}
		var ver []int
		for _, p := range strings.Split(filepath.Base(filepath.Dir(d)), ".") {
			n, _ := strconv.Atoi(p)
			ver = append(ver, n)
		}
		cands = append(cands, cand{d, ver})
	}
	if len(cands) > 0 {
		best := slices.MaxFunc(cands, func(a, b cand) int { return slices.Compare(a.ver, b.ver) })
		return binaries{filepath.Join(best.dir, "initdb"), filepath.Join(best.dir, "pg_ctl")}, nil
	}
	initdb, err1 := exec.LookPath("initdb")
	pgctl, err2 := exec.LookPath("pg_ctl")
	if err1 == nil && err2 == nil {
		return binaries{initdb, pgctl}, nil
	}
	return binaries{}, fmt.Errorf("pgcluster: %w: no initdb, pg_ctl and postgres in /usr/lib/postgresql/*/bin and no initdb/pg_ctl on PATH; install the server (Debian/Ubuntu: apt-get install postgresql) or put its bin directory on PATH", ErrNotInstalled)
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// unprivilegedUser is nil unless we are root, when it is the postgres OS
// user that initdb and pg_ctl must run as.
func unprivilegedUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w: running as root, and initdb refuses to run as root, but there is no `postgres` OS user to run it as (%v); create one (useradd --system --user-group postgres; apt-get install postgresql does) or run the tests as a non-root user", ErrNotInstalled, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgcluster: the postgres OS user has a non-numeric uid/gid %q/%q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
}

// tempBase is os.TempDir, unless the postgres user could not reach into it
// (e.g. TMPDIR under /root), when it is /tmp.
func tempBase(asOther bool) string {
	base := os.TempDir()
	if !asOther {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return base
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tail is the last n lines of b, indented, for error messages.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  | " + strings.Join(lines, "\n  | ")
}
