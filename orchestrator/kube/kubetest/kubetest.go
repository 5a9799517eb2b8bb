// Package kubetest runs a real Kubernetes control plane for tests: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler, built by
// scripts/build-k8s.sh. No kubelet runs; Kubelet plays its part for one
// Node (keeps it Ready, marks bound pods Running and Ready).
package kubetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// Version is the Kubernetes release the binaries are built at.
const Version = "v1.37.2"

// ControlPlane is a running control plane; Stop (registered as a test
// cleanup) stops every process and removes its directory.
type ControlPlane struct {
	Config     *rest.Config
	Kubeconfig string // a kubeconfig file for the CLI
	dir        string
	procs      []*process
}

// binDir is where the Kubernetes binaries are.
func binDir() string {
	if d := os.Getenv("COREBOX_K8S_BIN"); d != "" {
		return d
	}
	return "/var/cache/corebox/k8s-" + Version + "/bin"
}

// Binaries finds the four programs, or says what is missing.
func Binaries() (map[string]string, error) {
	out := map[string]string{}
	for _, b := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler"} {
		p := filepath.Join(binDir(), b)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s not built (run scripts/build-k8s.sh): %w", b, err)
		}
		out[b] = p
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return nil, fmt.Errorf("etcd not installed (apt-get install etcd-server): %w", err)
	}
	out["etcd"] = etcd
	return out, nil
}

// Start runs a control plane for t. Without the binaries it skips, unless
// COREBOX_REQUIRE_K8S is set (CI builds them), when it fails.
func Start(t testing.TB) *ControlPlane {
	t.Helper()
	bins, err := Binaries()
	if err != nil {
		if os.Getenv("COREBOX_REQUIRE_K8S") != "" {
			t.Fatalf("kubernetes control plane: %v", err)
		}
		t.Skipf("kubernetes control plane: %v", err)
	}
	cp := &ControlPlane{dir: t.TempDir()}
	t.Cleanup(cp.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cp.start(ctx, bins); err != nil {
		t.Fatalf("start kubernetes control plane: %v", err)
	}
	return cp
}

func (cp *ControlPlane) start(ctx context.Context, bins map[string]string) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if err := cp.startEtcd(ctx, bins["etcd"], etcdURL, ports[1]); err != nil {
		return err
	}
	token, err := cp.writeCredentials()
	if err != nil {
		return err
	}
	if err := cp.startAPIServer(ctx, bins["kube-apiserver"], etcdURL, ports[2], token); err != nil {
		return err
	}
	if err := cp.startControllers(bins); err != nil {
		return err
	}
	return nil
}

// Stop stops the processes, newest first, and removes their files.
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		cp.procs[i].stop()
	}
	cp.procs = nil
}

// freePorts asks the kernel for n unused loopback ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
