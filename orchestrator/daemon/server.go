package daemon

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"

	"github.com/corebox/corebox/cni"
	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/scheduler"
	"github.com/corebox/corebox/orchestrator/state"
	"github.com/corebox/corebox/platform/image"
	"github.com/corebox/corebox/platform/node"
	"github.com/corebox/corebox/platform/runtime"
)

// server answers the REST API.
type server struct {
	root      string
	version   string
	node      *node.Node
	nets      *cni.Manager
	pluginDir string
	images    *image.Store
	ctl       *controller.Controller
	db        *state.Store
	log       *slog.Logger
}

func (s *server) close() {
	if err := s.db.Close(); err != nil {
		s.log.Error("close orchestrator state", "err", err)
	}
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	v := "/" + api.Version
	mux.HandleFunc("GET "+v+"/version", s.getVersion)
	s.containerRoutes(mux, v)
	s.networkRoutes(mux, v)
	s.imageRoutes(mux, v)
	s.profileRoutes(mux, v)
	return mux
}

func (s *server) getVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, api.VersionInfo{API: api.Version, Version: s.version, Pid: os.Getpid(), StateRoot: s.root, PluginDir: s.pluginDir, Build: api.BuildID()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status is sent: an encoding error can only be logged by the
	// client as a truncated answer.
	_ = json.NewEncoder(w).Encode(v)
}

// kindOf classifies an error for the API.
func kindOf(err error) string {
	switch {
	case errors.Is(err, node.ErrNotFound), errors.Is(err, image.ErrNotFound), errors.Is(err, controller.ErrNotFound),
		errors.Is(err, cni.ErrNetworkNotFound), errors.Is(err, runtime.ErrNotFound):
		return api.KindNotFound
	case errors.Is(err, node.ErrNameInUse), errors.Is(err, node.ErrRunning),
		errors.Is(err, cni.ErrNetworkExists), errors.Is(err, cni.ErrSubnetOverlap),
		errors.Is(err, cni.ErrNetworkInUse), errors.Is(err, cni.ErrAddressUnavailable),
		errors.Is(err, runtime.ErrNotRunning), errors.Is(err, errConflict):
		return api.KindConflict
	case errors.Is(err, node.ErrInvalid), errors.Is(err, cni.ErrInvalidSpec),
		errors.Is(err, cni.ErrPluginMissing), errors.Is(err, cni.ErrImpairmentUnsupported),
		errors.Is(err, errBadRequest), errors.Is(err, controller.ErrInvalid), errors.Is(err, scheduler.ErrInsufficient):
		return api.KindInvalid
	}
	return api.KindInternal
}

var (
	errBadRequest = errors.New("bad request")
	errConflict   = errors.New("conflict")
)

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	kind := kindOf(err)
	if kind == api.KindInternal {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, api.StatusOf(kind), api.ErrorBody{Error: err.Error(), Kind: kind})
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 16<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.Join(errBadRequest, err)
	}
	return nil
}

// progressStream answers a long operation with JSON lines.
type progressStream[T any] struct {
	w   http.ResponseWriter
	enc *json.Encoder
}

func newProgressStream[T any](w http.ResponseWriter) *progressStream[T] {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	return &progressStream[T]{w: w, enc: json.NewEncoder(w)}
}

func (p *progressStream[T]) send(line api.StreamLine[T]) {
	// A client that went away stops reading; the operation still ends.
	_ = p.enc.Encode(line)
	if f, ok := p.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (p *progressStream[T]) progress(msg string) { p.send(api.StreamLine[T]{Progress: msg}) }

func (p *progressStream[T]) finish(v T, err error) {
	if err != nil {
		p.send(api.StreamLine[T]{Error: err.Error(), Kind: kindOf(err)})
		return
	}
	p.send(api.StreamLine[T]{Result: &v})
}
