package daemon

import (
	"fmt"
	"net/http"

	"github.com/corebox/corebox/cni"
)

func (s *server) networkRoutes(mux *http.ServeMux, v string) {
	mux.HandleFunc("GET "+v+"/networks", s.listNetworks)
	mux.HandleFunc("POST "+v+"/networks", s.createNetwork)
	mux.HandleFunc("POST "+v+"/networks/plugins", s.installPlugins)
	mux.HandleFunc("GET "+v+"/networks/{name}", s.getNetwork)
	mux.HandleFunc("DELETE "+v+"/networks/{name}", s.removeNetwork)
}

func (s *server) listNetworks(w http.ResponseWriter, r *http.Request) {
	nets, err := s.nets.List()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nets)
}

func (s *server) createNetwork(w http.ResponseWriter, r *http.Request) {
	var spec cni.NetworkSpec
	if err := decodeBody(r, &spec); err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.nets.Create(r.Context(), spec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("network created", "network", n.Name, "subnet", n.Subnet, "bridge", n.Bridge)
	writeJSON(w, http.StatusCreated, n)
}

func (s *server) getNetwork(w http.ResponseWriter, r *http.Request) {
	n, err := s.nets.Get(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *server) removeNetwork(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if users := s.containersOn(name); len(users) > 0 {
		s.fail(w, r, fmt.Errorf("%w: network %s is used by containers %v: remove them first (`corebox rm -f`)", cni.ErrNetworkInUse, name, users))
		return
	}
	if err := s.nets.Remove(r.Context(), name); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("network removed", "network", name)
	w.WriteHeader(http.StatusNoContent)
}

// containersOn names the containers with an interface on a network.
func (s *server) containersOn(network string) []string {
	var out []string
	for _, c := range s.node.List() {
		for _, n := range c.Spec.Networks {
			if n.Network == network {
				out = append(out, c.Spec.Name)
			}
		}
	}
	return out
}

func (s *server) installPlugins(w http.ResponseWriter, r *http.Request) {
	ps := newProgressStream[struct{}](w)
	err := cni.InstallPlugins(r.Context(), s.pluginDir, ps.progress)
	ps.finish(struct{}{}, err)
}
