package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a program under measurement. Its output is read all the time, so a chatty program
// never blocks on a full pipe; lines go to a bounded channel for whoever waits for one, and the
// last few are kept for error messages.
type process struct {
	cmd   *exec.Cmd
	name  string
	lines chan string
	pw    *io.PipeWriter

	mu   sync.Mutex
	tail []string
}

const tailLines = 20

// start runs path with exactly env (nothing of the caller's environment leaks in) in a process
// group of its own, so stop can take its children with it.
func start(name, path string, env []string, args ...string) (*process, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &process{cmd: cmd, name: name, lines: make(chan string, 1024), pw: pw}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go p.collect(pr)
	return p, nil
}

func (p *process) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.tail = append(p.tail, line)
		if len(p.tail) > tailLines {
			p.tail = p.tail[1:]
		}
		p.mu.Unlock()
		select {
		case p.lines <- line:
		default: // nobody is waiting for lines now: drop it
		}
	}
	io.Copy(io.Discard, r)
}

// Tail returns the last lines of output, for error messages.
func (p *process) Tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// waitLine returns the next unread line for which match is true. Lines wait in a buffer until
// read, so a line printed before the call is still found unless the buffer overflowed.
func (p *process) waitLine(ctx context.Context, timeout time.Duration, match func(string) bool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		select {
		case line := <-p.lines:
			if match(line) {
				return line, nil
			}
		case <-ctx.Done():
			return "", fmt.Errorf("%s: no expected output line within %s; last lines:\n%s", p.name, timeout, p.Tail())
		}
	}
}

// waitListening returns the address of the JSON "listening" line the servers print.
func (p *process) waitListening(ctx context.Context) (string, error) {
	var addr string
	_, err := p.waitLine(ctx, 30*time.Second, func(line string) bool {
		var l struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &l) != nil || l.Msg != "listening" {
			return false
		}
		addr = l.Addr
		return true
	})
	return addr, err
}

// stop kills the process group and the groups of its direct children: the emulator starts the
// bootstrap in a group of its own.
func (p *process) stop() {
	pid := p.pid()
	kids := children(pid)
	syscall.Kill(-pid, syscall.SIGKILL)
	for _, k := range kids {
		syscall.Kill(-k, syscall.SIGKILL)
		syscall.Kill(k, syscall.SIGKILL)
	}
	p.cmd.Wait()
	p.pw.Close()
}

// children returns the pids whose parent is pid, read from /proc.
func children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		f, err := statFields(path)
		if err != nil || len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		if c, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// statFields returns the fields of a /proc/<pid>/stat file after the command name, which is in
// parentheses and may hold spaces: [0] is the state, [1] the parent pid, [11] utime, [12] stime.
func statFields(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("%s: no command name", path)
	}
	return strings.Fields(string(b[i+1:])), nil
}

// clockTick is USER_HZ, the unit of utime and stime: 100 on every Linux this runs on.
const clockTick = 10 * time.Millisecond

// cpuTime returns the user plus system CPU time pid has used, all threads included.
func cpuTime(pid int) (time.Duration, error) {
	f, err := statFields(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields; want at least 13", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// peakRSS returns pid's VmHWM, its resident set's high-water mark, in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/status: VmHWM: %w", pid, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}

// freeAddr returns a loopback address whose port was free at the time of the call, for the
// emulator, which takes addresses rather than reporting the ones it got.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitDial polls addr until it accepts a connection: the emulator says nothing when it is ready.
func waitDial(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s not accepting connections: %w", addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
