package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func (cp *ControlPlane) path(name string) string { return filepath.Join(cp.dir, name) }

func (cp *ControlPlane) startEtcd(ctx context.Context, bin, clientURL string, peerPort int) error {
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	p, err := cp.run("etcd", bin, "--name", "kubetest", "--data-dir", cp.path("etcd"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "kubetest="+peer, "--log-level", "warn")
	if err != nil {
		return err
	}
	return poll(ctx, p, func() error { return httpOK(ctx, http.DefaultClient, clientURL+"/health", "") })
}

// writeCredentials writes the service-account key pair and a token file
// (AlwaysAllow still needs an authenticated user), and returns the token.
func (cp *ControlPlane) writeCredentials() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("service-account key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", fmt.Errorf("service-account public key: %w", err)
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	token := hex.EncodeToString(tok)
	files := map[string][]byte{
		"sa.key":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		"sa.pub":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}),
		"tokens.csv": []byte(token + `,admin,uid-admin,"system:masters"` + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(cp.path(name), b, 0o600); err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
	}
	return token, nil
}

func (cp *ControlPlane) startAPIServer(ctx context.Context, bin, etcdURL string, port int, token string) error {
	p, err := cp.run("kube-apiserver", bin, "--etcd-servers", etcdURL, "--bind-address", "127.0.0.1",
		"--advertise-address", "127.0.0.1", "--secure-port", strconv.Itoa(port),
		"--endpoint-reconciler-type", "none", "--cert-dir", cp.path("certs"),
		"--authorization-mode", "AlwaysAllow", "--token-auth-file", cp.path("tokens.csv"),
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", cp.path("sa.pub"), "--service-account-signing-key-file", cp.path("sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16")
	if err != nil {
		return err
	}
	host := "https://127.0.0.1:" + strconv.Itoa(port)
	cp.Config = &rest.Config{Host: host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS: 100, Burst: 200}
	if err := cp.writeKubeconfig(host, token); err != nil {
		return err
	}
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	return poll(ctx, p, func() error { return httpOK(ctx, insecure, host+"/readyz", token) })
}

func (cp *ControlPlane) writeKubeconfig(host, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubetest"] = &clientcmdapi.Cluster{Server: host, InsecureSkipTLSVerify: true}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: "admin"}
	cfg.CurrentContext = "kubetest"
	cp.Kubeconfig = cp.path("kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, cp.Kubeconfig); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}

// startControllers runs the controller-manager without its node-lifecycle
// controller (no kubelet renews the Node's lease) and the scheduler.
func (cp *ControlPlane) startControllers(bins map[string]string) error {
	_, err := cp.run("kube-controller-manager", bins["kube-controller-manager"], "--kubeconfig", cp.Kubeconfig,
		"--leader-elect=false", "--secure-port=0", "--service-account-private-key-file", cp.path("sa.key"),
		"--use-service-account-credentials=false", "--controllers", "*,-node-lifecycle-controller,-node-ipam-controller")
	if err != nil {
		return err
	}
	_, err = cp.run("kube-scheduler", bins["kube-scheduler"], "--kubeconfig", cp.Kubeconfig, "--leader-elect=false",
		"--secure-port=0")
	return err
}

// poll calls check until it succeeds, the process exits, or ctx ends.
func poll(ctx context.Context, p *process, check func() error) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before it was ready: %s", p.name, p.tail())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready (%v): %w\n%s", p.name, err, ctx.Err(), p.tail())
		case <-tick.C:
		}
	}
}

func httpOK(ctx context.Context, c *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
