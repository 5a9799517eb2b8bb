package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/runtime"
)

func (s *server) containerRoutes(mux *http.ServeMux, v string) {
	mux.HandleFunc("GET "+v+"/containers", s.listContainers)
	mux.HandleFunc("POST "+v+"/containers", s.runContainer)
	mux.HandleFunc("GET "+v+"/containers/{name}", s.inspectContainer)
	mux.HandleFunc("DELETE "+v+"/containers/{name}", s.removeContainer)
	mux.HandleFunc("POST "+v+"/containers/{name}/stop", s.stopContainer)
	mux.HandleFunc("POST "+v+"/containers/{name}/start", s.startContainer)
	mux.HandleFunc("GET "+v+"/containers/{name}/stats", s.containerStats)
	mux.HandleFunc("POST "+v+"/containers/{name}/resize", s.resizeContainer)
	mux.HandleFunc("POST "+v+"/containers/{name}/impair", s.impairContainer)
	mux.HandleFunc("GET "+v+"/containers/{name}/logs", s.containerLogs)
	mux.HandleFunc("POST "+v+"/containers/{name}/exec", s.execContainer)
}

func (s *server) listContainers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.node.List())
}

func (s *server) runContainer(w http.ResponseWriter, r *http.Request) {
	var spec container.Spec
	if err := decodeBody(r, &spec); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.node.Run(r.Context(), spec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("container started", "container", c.Spec.Name, "id", c.ID, "pid", c.Pid)
	writeJSON(w, http.StatusCreated, c)
}

func (s *server) inspectContainer(w http.ResponseWriter, r *http.Request) {
	c, err := s.node.Inspect(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *server) removeContainer(w http.ResponseWriter, r *http.Request) {
	force, _ := strconv.ParseBool(r.URL.Query().Get("force"))
	if err := s.node.Remove(r.Context(), r.PathValue("name"), force); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) stopContainer(w http.ResponseWriter, r *http.Request) {
	grace := 10 * time.Second
	if g := r.URL.Query().Get("grace"); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil || d < 0 {
			s.fail(w, r, fmt.Errorf("%w: grace %q: give a duration like 10s", errBadRequest, g))
			return
		}
		grace = d
	}
	c, err := s.node.Stop(r.Context(), r.PathValue("name"), grace)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *server) startContainer(w http.ResponseWriter, r *http.Request) {
	c, err := s.node.Start(r.Context(), r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *server) containerStats(w http.ResponseWriter, r *http.Request) {
	st, err := s.node.Stats(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *server) resizeContainer(w http.ResponseWriter, r *http.Request) {
	var res container.Resources
	if err := decodeBody(r, &res); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.node.Resize(r.PathValue("name"), res)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// An instance of a profile keeps its new limits as desired state.
	if profile := c.Spec.Labels[backend.LabelProfile]; profile != "" {
		if err := s.ctl.RecordResize(c.Spec.Name, profile, res); err != nil {
			s.fail(w, r, fmt.Errorf("resized %s, but could not record it in profile %s: %w", c.Spec.Name, profile, err))
			return
		}
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *server) impairContainer(w http.ResponseWriter, r *http.Request) {
	var req api.ImpairRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	imp, err := impairment(req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.node.Impair(r.PathValue("name"), req.IfName, imp); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func impairment(req api.ImpairRequest) (container.Impairment, error) {
	var imp container.Impairment
	if req.Clear {
		return imp, nil
	}
	for _, d := range []struct {
		text string
		into *time.Duration
		name string
	}{{req.Delay, &imp.Delay, "delay"}, {req.Jitter, &imp.Jitter, "jitter"}} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil || v < 0 {
			return imp, fmt.Errorf("%w: %s %q: give a duration like 20ms", errBadRequest, d.name, d.text)
		}
		*d.into = v
	}
	imp.LossPercent, imp.RateBitsPerSec = req.LossPercent, req.RateBps
	if imp == (container.Impairment{}) {
		return imp, fmt.Errorf("%w: no impairment given: set --delay, --jitter, --loss or --rate, or --clear", errBadRequest)
	}
	return imp, nil
}

func (s *server) containerLogs(w http.ResponseWriter, r *http.Request) {
	follow, _ := strconv.ParseBool(r.URL.Query().Get("follow"))
	name := r.PathValue("name")
	if _, err := s.node.LogPath(name); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	fw := flushWriter{w}
	if err := s.node.Logs(r.Context(), name, follow, fw); err != nil {
		s.log.Warn("logs", "container", name, "err", err)
	}
}

type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) { return f.w.Write(p) }
func (f flushWriter) Flush() {
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
}

// execContainer upgrades the connection and runs the process with its
// streams framed over it.
func (s *server) execContainer(w http.ResponseWriter, r *http.Request) {
	var req api.ExecRequest
	if err := decodeBody(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.PathValue("name")
	if _, err := s.node.Inspect(name); err != nil {
		s.fail(w, r, err)
		return
	}
	if r.Header.Get("Upgrade") != api.ExecUpgrade {
		s.fail(w, r, fmt.Errorf("%w: exec needs the %s upgrade", errBadRequest, api.ExecUpgrade))
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.fail(w, r, fmt.Errorf("exec: hijack: %w", err))
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n", api.ExecUpgrade)
	if err := buf.Flush(); err != nil {
		return
	}
	fw := api.NewFrameWriter(conn)
	spec := runtime.ExecSpec{Args: req.Args, Env: req.Env, Cwd: req.Cwd, Stdout: fw.Stream(api.StreamStdout), Stderr: fw.Stream(api.StreamStderr)}
	if req.Stdin {
		pr, pw := io.Pipe()
		defer pr.Close()
		go readStdin(buf.Reader, pw)
		spec.Stdin = pr
	}
	code, err := s.node.Exec(r.Context(), name, spec)
	res := api.ExitResult{Code: code}
	if err != nil {
		res.Error = err.Error()
	}
	b, _ := json.Marshal(res)
	if err := fw.WriteFrame(api.StreamExit, b); err != nil {
		s.log.Warn("exec: send exit status", "container", name, "err", err)
	}
}

// readStdin moves stdin frames from the client into the process; an empty
// frame or a closed connection is EOF.
func readStdin(r *bufio.Reader, pw *io.PipeWriter) {
	for {
		stream, p, err := api.ReadFrame(r)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if stream != api.StreamStdin {
			continue
		}
		if len(p) == 0 {
			pw.Close()
			return
		}
		if _, err := pw.Write(p); err != nil {
			return // the process stopped reading
		}
	}
}
