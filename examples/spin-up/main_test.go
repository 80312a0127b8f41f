package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/spindlekv/spindle/examples/internal/guestbuild"
)

// runMainEnv makes the test binary act as the spin-up command, so the
// end-to-end tests run the real main in a child process without linking a
// second binary.
const runMainEnv = "SPIN_UP_TEST_RUN_MAIN"

// guestWasm is the tutorial guest and cacheDir a compiled-module cache
// shared by every runner, both set up once by TestMain: only the first
// runner compiles the guest.
var guestWasm, cacheDir string

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "spin-up-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	guestWasm = filepath.Join(dir, "main.wasm")
	cacheDir = filepath.Join(dir, "cache")
	if err := guestbuild.BuildWasm(context.Background(), "../spin-key-value", guestWasm); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newAppDir returns a temp dir holding the tutorial's spin.toml and the
// built guest as main.wasm.
func newAppDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	toml, err := os.ReadFile("../spin-key-value/spin.toml")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(guestWasm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spin.toml"), toml, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runner is a spin-up child process.
type runner struct {
	cmd            *exec.Cmd
	url            string // e.g. http://127.0.0.1:41234
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error // from Wait, valid after done
}

func command(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	return cmd
}

// start runs spin-up with args (plus --listen 127.0.0.1:0 and the shared
// --cache-dir) and waits until it prints the address it serves.
func start(t *testing.T, args ...string) *runner {
	t.Helper()
	return startCmd(t, command(t, append([]string{"--listen", "127.0.0.1:0", "--cache-dir", cacheDir}, args...)...), args)
}

// startCmd starts cmd, a spin-up child made by command with args, and waits
// until it prints the address it serves.
func startCmd(t *testing.T, cmd *exec.Cmd, args []string) *runner {
	t.Helper()
	r := &runner{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{}), cmd: cmd}
	r.cmd.Stderr = r.stderr
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	serving := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(r.stdout, line)
			if u, ok := strings.CutPrefix(line, "Serving "); ok {
				serving <- u
			}
		}
		io.Copy(io.Discard, out)
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
	})
	select {
	case r.url = <-serving:
	case <-r.done:
		t.Fatalf("spin-up %q exited before serving: %v\nstdout:\n%s\nstderr:\n%s", args, r.err, r.stdout, r.stderr)
	}
	return r
}

// stop sends SIGINT and checks spin-up shuts down cleanly.
func (r *runner) stop(t *testing.T) { t.Helper(); r.signal(t, syscall.SIGINT) }

// signal sends sig and checks spin-up shuts down cleanly.
func (r *runner) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	<-r.done
	if r.err != nil {
		t.Errorf("spin-up did not exit cleanly after SIGINT: %v\nstderr:\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stderr.String(), "shutting down") {
		t.Errorf("no shutdown message in stderr:\n%s", r.stderr)
	}
}

// do sends one request and returns status and body.
func (r *runner) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, r.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", method, path, err, r.stderr)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

type step struct {
	method, path, body string
	wantStatus         int
	wantBody           string
}

func (r *runner) replay(t *testing.T, steps []step) {
	t.Helper()
	for _, s := range steps {
		status, body := r.do(t, s.method, s.path, s.body)
		if status != s.wantStatus || body != s.wantBody {
			t.Errorf("%s %s = %d %q, want %d %q", s.method, s.path, status, body, s.wantStatus, s.wantBody)
		}
	}
}

// TestTutorial replays the tutorial's curl session against the runner, then
// shows the value outlives a restart (the default store is SQLite in
// <app>/.spin) and that --key-value seeds the default store.
func TestTutorial(t *testing.T) {
	dir := newAppDir(t)
	r := start(t, "-f", dir)
	r.replay(t, []step{
		{"POST", "/test", `{"foo":"bar"}`, 200, ""},
		{"HEAD", "/test", "", 200, ""},
		{"GET", "/test", "", 200, `{"foo":"bar"}`},
		{"DELETE", "/test", "", 200, ""},
		{"HEAD", "/test", "", 404, ""},
		{"GET", "/test", "", 404, ""},
		{"PUT", "/test", "x", 405, "method not allowed\n"},
		{"POST", "/test/kept", "survives restarts", 200, ""},
	})
	if logs := r.stderr.String(); !strings.Contains(logs, "method=POST path=/test status=200") ||
		!strings.Contains(logs, "method=HEAD path=/test status=404") {
		t.Errorf("requests not logged with method, path and status:\n%s", logs)
	}
	r.stop(t)
	wantRoutes := "Serving " + r.url + "\nAvailable Routes:\n  spin-key-value: " + r.url + "/test (wildcard)\n"
	if out := r.stdout.String(); out != wantRoutes {
		t.Errorf("stdout = %q, want %q", out, wantRoutes)
	}
	db := filepath.Join(dir, ".spin", DefaultStoreFile)
	if _, err := os.Stat(db); err != nil {
		t.Errorf("default store not in the state dir: %v", err)
	}

	// Restart on the same state (given explicitly this time), seeding two
	// keys; --key-value splits at the first '='.
	r = start(t, "--from", filepath.Join(dir, "spin.toml"), "--state-dir", filepath.Join(dir, ".spin"),
		"--key-value", "/test/seeded=a=b", "--key-value", "/test/empty=")
	r.replay(t, []step{
		{"GET", "/test/kept", "", 200, "survives restarts"},
		{"GET", "/test/seeded", "", 200, "a=b"},
		{"HEAD", "/test/empty", "", 200, ""},
	})
	r.signal(t, syscall.SIGTERM)
}

// TestRuntimeConfig serves the default store from the SQLite file a
// runtime-config file names (relative to the file), and an explicitly empty
// --state-dir creates no state directory.
func TestRuntimeConfig(t *testing.T) {
	dir := newAppDir(t)
	rcDir := t.TempDir()
	rc := filepath.Join(rcDir, "runtime-config.toml")
	if err := os.WriteFile(rc, []byte("[key_value_store.default]\ntype = \"spin\"\npath = \"data/kv.db\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := start(t, "-f", dir, "--runtime-config-file", rc, "--state-dir", "")
	r.replay(t, []step{{"POST", "/test/rc", "in the configured file", 200, ""}, {"GET", "/test/rc", "", 200, "in the configured file"}})
	r.stop(t)
	if _, err := os.Stat(filepath.Join(rcDir, "data", "kv.db")); err != nil {
		t.Errorf("the runtime config's store file was not used: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".spin")); err == nil {
		t.Errorf("a state directory was created although --state-dir was empty")
	}
}

// TestStartupErrors checks that common mistakes end with exit status 1 and
// a one-line message that says what to do.
func TestStartupErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	badManifest := t.TempDir()
	if err := os.WriteFile(filepath.Join(badManifest, "spin.toml"), []byte("spin_manifest_version = \"1\"\nname = \"x\"\nversion = \"1\"\ntrigger = { type = \"http\", base = \"/\" }\n[[component]]\nid = \"c\"\nsource = \"c.wasm\"\nkey_value_store = [\"default\"]\n[component.trigger]\nroute = \"/...\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noWasm := newAppDir(t)
	os.Remove(filepath.Join(noWasm, "main.wasm"))
	badRC := filepath.Join(t.TempDir(), "rc.toml")
	if err := os.WriteFile(badRC, []byte("[key_value_store.default]\ntype = \"cassandra\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		want []string // substrings of the one line
	}{
		{"bad manifest", []string{"-f", badManifest}, []string{"spin.toml:8:1", `unknown field "key_value_store"`}},
		{"no manifest", []string{"-f", filepath.Join(t.TempDir(), "nope.toml")}, []string{"loading manifest", "nope.toml", "no such file"}},
		{"missing wasm", []string{"-f", noWasm}, []string{`component "spin-key-value"`, "main.wasm does not exist", "run with --build"}},
		{"port in use", []string{"-f", newAppDir(t), "--listen", busy.Addr().String()}, []string{"cannot listen on " + busy.Addr().String(), "--listen", "address already in use"}},
		{"bad key-value", []string{"-f", newAppDir(t), "--key-value", "novalue"}, []string{`invalid value "novalue" for flag -key-value: key/values must be of the form key=value`}},
		{"bad runtime config", []string{"-f", newAppDir(t), "--runtime-config-file", badRC}, []string{"loading runtime config", "rc.toml:2:", "cassandra"}},
		{"unknown flag", []string{"--frobnicate"}, []string{"invalid command line", "-frobnicate", "see -h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := command(t, tt.args...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit = %v, want status 1; stderr:\n%s", err, &stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			last := lines[len(lines)-1]
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines, want 1:\n%s", len(lines), &stderr)
			}
			if !strings.HasPrefix(last, "spin-up: ") {
				t.Errorf("error line %q does not start with spin-up:", last)
			}
			for _, w := range tt.want {
				if !strings.Contains(last, w) {
					t.Errorf("error line %q does not contain %q", last, w)
				}
			}
		})
	}
}

// TestBuild runs the manifest's build command with --build (through sh, in
// the manifest directory) before serving.
func TestBuild(t *testing.T) {
	guestDir, err := filepath.Abs("../spin-key-value")
	if err != nil {
		t.Fatal(err)
	}
	gotool, err := guestbuild.GoTool()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	toml := fmt.Sprintf(`spin_manifest_version = "1"
name = "built"
version = "1.0.0"
trigger = { type = "http", base = "/" }

[[component]]
id = "kv"
source = "out/main.wasm"
key_value_stores = ["default"]
[component.trigger]
route = "/kv/..."
[component.build]
command = 'mkdir -p out && cd %q && GOOS=wasip1 GOARCH=wasm %q build -buildmode=c-shared -o %q . && echo built-ok'
`, guestDir, gotool, filepath.Join(dir, "out", "main.wasm"))
	if err := os.WriteFile(filepath.Join(dir, "spin.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := start(t, "--build", "-f", dir)
	r.replay(t, []step{{"POST", "/kv/x", "1", 200, ""}, {"GET", "/kv/x", "", 200, "1"}})
	r.stop(t)
	out := r.stdout.String()
	for _, w := range []string{"Building component kv with `mkdir -p out", "built-ok\n", "Finished building all Spin components", "  kv: " + r.url + "/kv (wildcard)"} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout does not contain %q:\n%s", w, out)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want config
	}{
		{"defaults", nil, config{from: DefaultManifest, listen: DefaultListen}},
		{"short and long forms", []string{"-f", "a", "--listen", ":1", "--build"}, config{from: "a", listen: ":1", build: true}},
		{"double-dash from", []string{"--from=b"}, config{from: "b", listen: DefaultListen}},
		{"explicitly empty state dir", []string{"--state-dir", ""}, config{from: DefaultManifest, listen: DefaultListen, stateDirSet: true}},
		{"key-values split at the first =", []string{"--key-value", "k=v=w", "--key-value", "e="}, config{from: DefaultManifest, listen: DefaultListen,
			keyValues: keyValues{{"k", "v=w"}, {"e", ""}}}},
		{"runtime config", []string{"--runtime-config-file", "rc.toml"}, config{from: DefaultManifest, listen: DefaultListen, runtimeConfigFile: "rc.toml"}},
		{"cache dir", []string{"--cache-dir", "c"}, config{from: DefaultManifest, listen: DefaultListen, cacheDir: "c", cacheDirSet: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.server == (serverFlags{}) {
				tt.want.server = defaultServerFlags
			}
			if fmt.Sprint(*got) != fmt.Sprint(tt.want) {
				t.Errorf("parseFlags(%q) = %+v, want %+v", tt.args, *got, tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Fatalf("run -h = %v", err)
	}
	for _, w := range []string{"Usage: spin-up", "-f, --from PATH", "--key-value KEY=VALUE", "--build"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("usage does not mention %q:\n%s", w, &stderr)
		}
	}
}
