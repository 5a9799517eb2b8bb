package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/platform/image"
)

func (s *server) imageRoutes(mux *http.ServeMux, v string) {
	mux.HandleFunc("GET "+v+"/images", s.listImages)
	mux.HandleFunc("GET "+v+"/images/inspect", s.inspectImage)
	mux.HandleFunc("DELETE "+v+"/images", s.removeImage)
	mux.HandleFunc("POST "+v+"/images/build", s.buildImages)
	mux.HandleFunc("POST "+v+"/images/push", s.pushImage)
	mux.HandleFunc("POST "+v+"/images/pull", s.pullImage)
	mux.HandleFunc("GET "+v+"/images/save", s.saveImages)
	mux.HandleFunc("POST "+v+"/images/load", s.loadImages)
}

func (s *server) listImages(w http.ResponseWriter, r *http.Request) {
	list, err := s.images.List()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *server) inspectImage(w http.ResponseWriter, r *http.Request) {
	d, err := s.images.Inspect(r.URL.Query().Get("ref"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *server) removeImage(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("ref")
	for _, c := range s.node.List() {
		if c.Spec.Image == ref {
			s.fail(w, r, fmt.Errorf("%w: image %s is used by container %s: remove it first", errConflict, ref, c.Spec.Name))
			return
		}
	}
	if err := s.images.Remove(ref); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) buildImages(w http.ResponseWriter, r *http.Request) {
	var req api.BuildRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ps := newProgressStream[[]image.Summary](w)
	kinds, err := corenfKinds(r.Context(), req.Corenf)
	if err != nil {
		ps.finish(nil, err)
		return
	}
	ps.progress(fmt.Sprintf("corenf %s has %d kinds", req.Corenf, len(kinds)))
	out, err := s.images.Build(r.Context(), image.BuildSpec{CorenfPath: req.Corenf, Kinds: kinds, Tag: req.Tag, Progress: ps.progress})
	ps.finish(out, err)
}

// corenfKinds asks the corenf binary which NF kinds it has.
func corenfKinds(ctx context.Context, corenf string) ([]image.KindSpec, error) {
	out, err := exec.CommandContext(ctx, corenf, "kinds", "-o", "json").Output()
	if err != nil {
		return nil, fmt.Errorf("%w: run %s kinds: %v (build it with `make build`)", errBadRequest, corenf, err)
	}
	var kinds []struct {
		Name          string `json:"name"`
		DefaultConfig string `json:"default_config"`
	}
	if err := json.Unmarshal(out, &kinds); err != nil {
		return nil, fmt.Errorf("parse %s kinds: %w", corenf, err)
	}
	specs := make([]image.KindSpec, 0, len(kinds))
	for _, k := range kinds {
		specs = append(specs, image.KindSpec{Name: k.Name, DefaultConfig: []byte(k.DefaultConfig)})
	}
	return specs, nil
}

func (s *server) pushImage(w http.ResponseWriter, r *http.Request) {
	var req api.PushRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ps := newProgressStream[api.PushResult](w)
	digest, err := s.images.Push(r.Context(), req.Ref, req.Dest, image.RemoteOptions{Insecure: req.Insecure, Progress: ps.progress})
	ps.finish(api.PushResult{Digest: digest}, err)
}

func (s *server) pullImage(w http.ResponseWriter, r *http.Request) {
	var req api.PullRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ps := newProgressStream[image.Summary](w)
	sum, err := s.images.Pull(r.Context(), req.Src, req.Ref, image.RemoteOptions{Insecure: req.Insecure, Progress: ps.progress})
	if err != nil {
		ps.finish(image.Summary{}, err)
		return
	}
	ps.finish(*sum, nil)
}

func (s *server) saveImages(w http.ResponseWriter, r *http.Request) {
	refs := r.URL.Query()["ref"]
	for _, ref := range refs {
		if _, err := s.images.Resolve(ref); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Trailer", "X-Corebox-Error")
	w.Header().Set("Content-Type", "application/x-tar")
	if err := s.images.Save(r.Context(), refs, w); err != nil {
		w.Header().Set("X-Corebox-Error", err.Error())
		s.log.Warn("save images", "refs", refs, "err", err)
	}
}

func (s *server) loadImages(w http.ResponseWriter, r *http.Request) {
	refs, err := s.images.Load(r.Context(), r.Body)
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: %w", errBadRequest, err))
		return
	}
	writeJSON(w, http.StatusOK, refs)
}
