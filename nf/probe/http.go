package probe

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/corebox/corebox/nf/nfkit"
)

// maxBody bounds request bodies; every valid one is a few bytes.
const maxBody = 4 << 10

func (n *NF) routes() {
	n.ops.Handle("GET /load", http.HandlerFunc(n.getLoad))
	n.ops.Handle("PUT /load", http.HandlerFunc(n.putLoad))
	n.ops.Handle("GET /ready", http.HandlerFunc(n.getReady))
	n.ops.Handle("PUT /ready", http.HandlerFunc(n.putReady))
	n.ops.Handle("POST /exit", http.HandlerFunc(n.postExit))
	n.ops.Handle("PUT /routes", http.HandlerFunc(n.putRoutes))
}

type loadBody struct {
	Value *float64 `json:"value"`
}

func (n *NF) getLoad(w http.ResponseWriter, _ *http.Request) {
	v := math.Float64frombits(n.loadValue.Load())
	nfkit.WriteJSON(w, http.StatusOK, loadBody{Value: &v})
}

// putLoad takes ?value=0.75 or {"value": 0.75}.
func (n *NF) putLoad(w http.ResponseWriter, r *http.Request) {
	var b loadBody
	if q := r.URL.Query().Get("value"); q != "" {
		v, err := strconv.ParseFloat(q, 64)
		if err != nil {
			n.bad(w, r, fmt.Errorf("value %q: %w", q, err))
			return
		}
		b.Value = &v
	} else if err := nfkit.ReadJSON(w, r, maxBody, &b); err != nil {
		n.bad(w, r, err)
		return
	}
	if b.Value == nil || !finite(*b.Value) {
		n.bad(w, r, fmt.Errorf(`want {"value": <finite number>} or ?value=`))
		return
	}
	n.setLoad(*b.Value)
	n.log.Info("load set", "value", *b.Value)
	nfkit.WriteJSON(w, http.StatusOK, b)
}

type readyStatus struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
}

func (n *NF) getReady(w http.ResponseWriter, _ *http.Request) {
	ok, reason := n.Ready()
	nfkit.WriteJSON(w, http.StatusOK, readyStatus{Ready: ok, Reason: reason})
}

// putReady takes {"ready": true|false} to force readiness, or
// {"ready": null} to hand it back to ready_after.
func (n *NF) putReady(w http.ResponseWriter, r *http.Request) {
	var b map[string]*bool
	if err := nfkit.ReadJSON(w, r, maxBody, &b); err != nil {
		n.bad(w, r, err)
		return
	}
	v, ok := b["ready"]
	if !ok || len(b) != 1 {
		n.bad(w, r, fmt.Errorf(`want {"ready": true|false|null}`))
		return
	}
	n.override.Store(v)
	n.log.Info("readiness set", "ready", v)
	n.getReady(w, r)
}

type exitBody struct {
	Code *int `json:"code"`
}

// postExit answers, flushes, then makes Run return an ExitError so the
// process exits with the code: a crash an orchestrator can observe.
func (n *NF) postExit(w http.ResponseWriter, r *http.Request) {
	b := exitBody{}
	if r.ContentLength != 0 {
		if err := nfkit.ReadJSON(w, r, maxBody, &b); err != nil {
			n.bad(w, r, err)
			return
		}
	}
	code := 1
	if b.Code != nil {
		code = *b.Code
	}
	if code < 0 || code > 255 {
		n.bad(w, r, fmt.Errorf("code %d: want 0..255", code))
		return
	}
	accepted := false
	n.exitOnce.Do(func() { accepted = true })
	if !accepted {
		http.Error(w, "already exiting", http.StatusConflict)
		return
	}
	n.log.Warn("exit requested", "code", code)
	nfkit.WriteJSON(w, http.StatusAccepted, map[string]any{"exiting": true, "code": code})
	if err := http.NewResponseController(w).Flush(); err != nil {
		n.log.Warn("flush exit response", "err", err)
	}
	n.exitCode <- code // buffered 1, sent once
}

func (n *NF) bad(w http.ResponseWriter, r *http.Request, err error) {
	n.badReqs.Inc()
	n.log.Warn("bad request", "method", r.Method, "path", r.URL.Path, "err", err)
	http.Error(w, err.Error(), http.StatusBadRequest)
}
