package cni

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/corebox/corebox/internal/leakcheck"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// testPluginDir finds the shared plugin build (COREBOX_CNI_BIN, default
// DefaultPluginCache) and builds it there first when it is missing.
func testPluginDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("COREBOX_CNI_BIN")
	if dir == "" {
		dir = DefaultPluginCache
	}
	if CheckPlugins(dir) == nil {
		return dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if err := InstallPlugins(ctx, dir, func(s string) { t.Log(s) }); err != nil {
		t.Fatalf("no CNI plugins in %s and building them failed: %v", dir, err)
	}
	return dir
}

// rootTest skips without root, snapshots host state and checks it again
// after every other cleanup of the test has run.
func rootTest(t testing.TB) {
	t.Helper()
	leakcheck.RequireRoot(t)
	snap := leakcheck.Take(t)
	t.Cleanup(func() { snap.Check(t) })
}

// newTestManager gives a test its own state root; at cleanup it detaches
// whatever is still attached and removes every network, so a failing test
// leaves nothing behind either.
func newTestManager(t testing.TB) *Manager {
	t.Helper()
	return newTestManagerWith(t, testPluginDir(t))
}

func newTestManagerWith(t testing.TB, pluginDir string) *Manager {
	t.Helper()
	m, err := New(Config{StateRoot: t.TempDir(), PluginDir: pluginDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cleanupManager(t, m) })
	return m
}

func cleanupManager(t testing.TB, m *Manager) {
	ctx := context.Background()
	atts, err := m.Attachments("")
	if err != nil {
		t.Errorf("cleanup: %v", err)
	}
	for _, a := range atts {
		if err := m.Detach(ctx, a); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	nets, err := m.List()
	if err != nil {
		t.Errorf("cleanup: %v", err)
	}
	for _, n := range nets {
		if err := m.Remove(ctx, n.Name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}

// newNetNS creates a network namespace bind-mounted on a file in the
// test's temp dir and unmounts it at cleanup.
func newNetNS(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "netns")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := mountNewNetNS(path); err != nil {
		t.Fatalf("create netns: %v", err)
	}
	t.Cleanup(func() {
		// EINVAL: the test unmounted it already.
		if err := unmount(path); err != nil && !errors.Is(err, unix.EINVAL) {
			t.Errorf("unmount netns %s: %v", path, err)
		}
	})
	return path
}

func unmount(path string) error { return unix.Unmount(path, unix.MNT_DETACH) }

// mountNewNetNS unshares a namespace on a locked thread that is never
// unlocked: the goroutine's end retires the thread with it, so no other
// goroutine ever runs in the wrong namespace.
func mountNewNetNS(path string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind mount %s: %w", path, err)
			return
		}
		errc <- nil
	}()
	return <-errc
}

// linksIn lists interface names inside a namespace, sorted.
func linksIn(t testing.TB, nsPath string) []string {
	t.Helper()
	var names []string
	err := inNetNS(nsPath, func(h *netlink.Handle) error {
		links, err := h.LinkList()
		for _, l := range links {
			names = append(names, l.Attrs().Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func hostLinkExists(t testing.TB, name string) bool {
	t.Helper()
	_, err := netlink.LinkByName(name)
	if err != nil && !isLinkNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// listenIn opens a TCP listener inside a namespace (the socket stays in
// it) that accepts one connection and echoes what it reads.
func listenIn(t testing.TB, nsPath string, addr netip.Addr) net.Listener {
	t.Helper()
	var ln net.Listener
	err := ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(addr, 0).String())
		return err
	})
	if err != nil {
		t.Fatalf("listen in %s: %v", nsPath, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln
}

// dialFrom connects from inside a namespace.
func dialFrom(nsPath string, to net.Addr) (net.Conn, error) {
	var c net.Conn
	err := ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		var err error
		c, err = net.DialTimeout("tcp4", to.String(), 3*time.Second)
		return err
	})
	return c, err
}

// echoOnce proves a round trip from nsPath to the listener.
func echoOnce(t testing.TB, nsPath string, to net.Addr) {
	t.Helper()
	c, err := dialFrom(nsPath, to)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", to, nsPath, err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	msg := []byte("corebox")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := readFull(c, got); err != nil {
		t.Fatalf("echo from %s: %v", to, err)
	}
	if string(got) != string(msg) {
		t.Fatalf("echo: got %q want %q", got, msg)
	}
}

func readFull(c net.Conn, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := c.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func mustCreate(t testing.TB, m *Manager, spec NetworkSpec) *Network {
	t.Helper()
	n, err := m.Create(context.Background(), spec)
	if err != nil {
		t.Fatalf("create %s: %v", spec.Name, err)
	}
	return n
}

func mustAttach(t testing.TB, m *Manager, req AttachRequest) *Attachment {
	t.Helper()
	a, err := m.Attach(context.Background(), req)
	if err != nil {
		t.Fatalf("attach: %v", err)
	}
	return a
}

func wantErrIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want one that errors.Is %v", err, target)
	}
}
