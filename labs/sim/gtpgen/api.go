package gtpgen

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
)

// Paths of the control API on the ops server.
const (
	// PathRun: POST a RunRequest; the answer is the Result (200), or
	// {"error": "..."} with 400 (bad parameters), 409 (a run is in
	// progress), 503 (not ready, or draining), 412 (kernel mode cannot
	// run here) or 500 (the run failed).
	PathRun = "/gtpgen/run"
	// PathLast: GET the last successful run's Result (404 before one).
	PathLast = "/gtpgen/last"
)

const maxRequestBytes = 64 << 10

func (n *NF) routes() {
	n.ops.Handle("POST "+PathRun, http.HandlerFunc(n.postRun))
	n.ops.Handle("GET "+PathLast, http.HandlerFunc(n.getLast))
}

func (n *NF) postRun(w http.ResponseWriter, r *http.Request) {
	var req RunRequest
	if err := nfkit.ReadJSON(w, r, maxRequestBytes, &req); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	// A run outlasts the ops server's write timeout.
	if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
		n.log.Debug("control api: write deadline not lifted", "err", err)
	}
	res, err := n.gen.Run(r.Context(), req.Params())
	if err != nil {
		n.log.Info("run refused or failed", "err", err)
		writeError(w, statusOf(err), err)
		return
	}
	nfkit.WriteJSON(w, http.StatusOK, res)
}

func (n *NF) getLast(w http.ResponseWriter, _ *http.Request) {
	res := n.gen.Last()
	if res == nil {
		writeError(w, http.StatusNotFound, errors.New("no run has finished yet"))
		return
	}
	nfkit.WriteJSON(w, http.StatusOK, res)
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrBadParams):
		return http.StatusBadRequest
	case errors.Is(err, ErrBusy):
		return http.StatusConflict
	case errors.Is(err, ErrNotReady), errors.Is(err, ErrDraining):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrKernelPath):
		return http.StatusPreconditionFailed
	}
	return http.StatusInternalServerError
}

func writeError(w http.ResponseWriter, code int, err error) {
	nfkit.WriteJSON(w, code, map[string]string{"error": err.Error()})
}
