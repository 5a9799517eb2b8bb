package imsinterop

import (
	"context"
	"testing"
	"time"
)

// endpoint is where one SIPp user agent sends from and listens on.
type endpoint struct {
	user user
	host string
	port int
}

func newEndpoint(t testing.TB, u user, host string) endpoint {
	return endpoint{user: u, host: host, port: freePort(t, "udp", host)}
}

// register runs scenario (register_aka.xml or register_plain.xml) once
// from e towards proxy: the next SIPp bound to e is reachable there.
func (e endpoint) register(ctx context.Context, t testing.TB, proxy, scenario string) {
	t.Helper()
	s := sipp{name: "register-" + e.user.IMSI, scenario: render(t, t.TempDir(), scenario, dataFor(e.user)),
		host: e.host, port: e.port, remote: proxy, calls: 1, timeout: 30 * time.Second}
	if r := runRegister(ctx, t, s); r.code != 0 {
		t.Fatalf("register %s through %s: %s", e.user.IMSI, proxy, r)
	}
}

// callRun is calls from caller to callee through proxy at rate (0:
// SIPp's default of 10/s), the callee answering in a SIPp of its own.
type callRun struct {
	caller, callee endpoint
	proxy          string
	calls, rate    int
	pause          time.Duration
	timeout        time.Duration
}

// run starts the callee, waits for its socket, runs the caller, and
// returns both results.
func (c callRun) run(ctx context.Context, t testing.TB) (uac, uas sippResult) {
	t.Helper()
	dir := t.TempDir()
	d := dataFor(c.callee.user)
	server := sipp{name: "uas", scenario: render(t, dir, "uas_call.xml", d),
		host: c.callee.host, port: c.callee.port, calls: c.calls, timeout: c.timeout}
	uasProc := server.start(ctx, t)
	waitBound(t, uasProc, c.callee.host, c.callee.port)

	d = dataFor(c.caller.user)
	d.CalleeIMPU, d.PauseMS = c.callee.user.IMPU(), int(c.pause/time.Millisecond)
	client := sipp{name: "uac", scenario: render(t, dir, "uac_call.xml", d), host: c.caller.host,
		port: c.caller.port, remote: c.proxy, calls: c.calls, rate: c.rate, timeout: c.timeout}
	uac = client.run(ctx, t)
	return uac, uasProc.wait()
}

// TestSippCallThroughIMS: two SIPp user agents register with AKA and
// make a call through P-CSCF and S-CSCF (originating Service-Route,
// terminating Path, Record-Route for ACK and BYE).
func TestSippCallThroughIMS(t *testing.T) {
	needSIPp(t)
	n := startIMS(t, alice, bob)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	caller, callee := newEndpoint(t, alice, uacHost), newEndpoint(t, bob, uasHost)
	callee.register(ctx, t, n.sip, "register_aka.xml")
	caller.register(ctx, t, n.sip, "register_aka.xml")
	n.waitRegistered(t, alice)
	n.waitRegistered(t, bob)

	routedBefore := metricValue(t, n, "corebox_scscf_routed_total", "result", "forwarded")
	uac, uas := callRun{caller: caller, callee: callee, proxy: n.sip, calls: 1,
		pause: 500 * time.Millisecond, timeout: 60 * time.Second}.run(ctx, t)
	if uac.code != 0 || uas.code != 0 {
		t.Fatalf("call through the IMS failed\n=== caller (uac) %s\n=== callee (uas) %s", uac, uas)
	}
	if got := metricValue(t, n, "corebox_scscf_routed_total", "result", "forwarded"); got <= routedBefore {
		t.Errorf("S-CSCF routed_total{result=forwarded} %v, want above %v: the call did not cross it", got, routedBefore)
	}
}
