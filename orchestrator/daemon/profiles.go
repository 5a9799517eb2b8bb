package daemon

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/controller"
	"github.com/corebox/corebox/orchestrator/state"
)

func (s *server) profileRoutes(mux *http.ServeMux, v string) {
	mux.HandleFunc("GET "+v+"/profiles", s.listProfiles)
	mux.HandleFunc("POST "+v+"/profiles", s.applyProfile)
	mux.HandleFunc("GET "+v+"/profiles/{name}", s.profileStatus)
	mux.HandleFunc("DELETE "+v+"/profiles/{name}", s.downProfile)
	mux.HandleFunc("POST "+v+"/profiles/{name}/scale", s.scaleProfile)
	mux.HandleFunc("GET "+v+"/events", s.events)
}

func (s *server) listProfiles(w http.ResponseWriter, r *http.Request) {
	names, err := s.ctl.Profiles()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, names)
}

func (s *server) applyProfile(w http.ResponseWriter, r *http.Request) {
	var req api.ApplyRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	plan, err := s.ctl.Apply(r.Context(), controller.ApplyRequest{Profile: &req.Profile, Set: req.Set, ImageTag: req.ImageTag, DryRun: req.DryRun})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, plan)
}

func (s *server) profileStatus(w http.ResponseWriter, r *http.Request) {
	stats, _ := strconv.ParseBool(r.URL.Query().Get("stats"))
	st, err := s.ctl.Status(r.Context(), r.PathValue("name"), stats)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *server) downProfile(w http.ResponseWriter, r *http.Request) {
	if err := s.ctl.Down(r.Context(), r.PathValue("name")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *server) scaleProfile(w http.ResponseWriter, r *http.Request) {
	var replicas map[string]int
	if err := decodeBody(r, &replicas); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.ctl.Scale(r.Context(), r.PathValue("name"), replicas); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// events streams the event log as JSON lines; with follow=true it keeps
// the stream open for new events.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
	follow, _ := strconv.ParseBool(q.Get("follow"))
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	send := func(ev state.Event) error {
		if err := enc.Encode(ev); err != nil {
			return err
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		return nil
	}
	if follow {
		if err := s.ctl.Follow(r.Context(), after, send); err != nil {
			s.log.Warn("follow events", "err", err)
		}
		return
	}
	for {
		evs, err := s.ctl.Events(after, 1000)
		if err != nil {
			s.log.Warn("read events", "err", err)
			return
		}
		if len(evs) == 0 {
			return
		}
		for _, ev := range evs {
			if err := send(ev); err != nil {
				return
			}
			after = ev.Seq
		}
	}
}
