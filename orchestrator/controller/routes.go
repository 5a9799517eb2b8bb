package controller

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corebox/corebox/orchestrator/backend"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/profiles"
)

// Routes (profiles.Route): every pass asks each running replica of a
// `from` NF what it announces (GET /routes), and hands every running
// instance of the routing NF the resulting set, prefix via replica address.
//
//   - Running replicas count whatever their phase: a starting one may
//     already serve, a draining one carries sessions until it is stopped.
//     A replica whose process ended, or that was removed, loses its routes
//     in the pass that sees it.
//   - A running replica that does not answer keeps its last answer for
//     announceHold, so that a slow or briefly stalled NF does not have the
//     data network drop its slice; after that its routes are withdrawn
//     (event RoutesExpired). One that never answered has none.
//   - A prefix announced twice goes via the first claimant: the earlier
//     `routes` item, then the lowest replica index (event RouteConflict,
//     once per conflict).
//   - The backend is called only when an instance's set changed, for a new
//     container or process, or every routesResync (to repair drift). A
//     failure is an event (RoutesFailed) and is retried with the restart
//     backoff (1s doubling to 60s), sooner if the set changes; it never
//     fails the pass.
const (
	announceHold = 10 * time.Second
	routesResync = 30 * time.Second
	maxProbes    = 8 // GET /routes in flight at once
)

// routeState is what the loop remembers about routes between passes.
type routeState struct {
	announced map[string]*announcement // by instance of a from NF
	applied   map[string]*appliedRoutes
	conflicts map[string]bool // reported, by description

	mu    sync.Mutex          // guards shown: Status reads it
	shown map[string][]string // applied sets, by instance, as text
}

// announcement is a replica's last answer to GET /routes.
type announcement struct {
	incarnation string
	at          time.Time
	routes      map[string][]netip.Prefix
	expired     bool
	failing     bool // the last probe failed
}

// appliedRoutes is what the backend last confirmed for an instance.
type appliedRoutes struct {
	incarnation string // container ID and pid
	container   string // container ID: a new container starts empty
	routes      []backend.Route
	at          time.Time
	// A failed attempt: the set it tried, and when to try it again.
	failed  []backend.Route
	errMsg  string
	backoff time.Duration
	next    time.Time
}

func newRouteState() *routeState {
	return &routeState{announced: map[string]*announcement{}, applied: map[string]*appliedRoutes{},
		conflicts: map[string]bool{}, shown: map[string][]string{}}
}

func incarnation(ctr container.Container) string { return ctr.ID + "/" + strconv.Itoa(ctr.Pid) }

// replica is a running instance of an NF, by replica index.
type replica struct {
	index int
	ctr   container.Container
}

// running lists the NF's running instances (draining ones included), by index.
func (p *pass) running(nf string) []replica {
	var out []replica
	for _, ctr := range p.ctrs {
		if ctr.Spec.Labels[backend.LabelNF] != nf || exited(ctr) {
			continue
		}
		i, err := strconv.Atoi(ctr.Spec.Labels[backend.LabelIndex])
		if err != nil {
			continue
		}
		out = append(out, replica{index: i, ctr: ctr})
	}
	slices.SortFunc(out, func(a, b replica) int { return cmp.Compare(a.index, b.index) })
	return out
}

// syncRoutes is the routes step of a pass.
func (p *pass) syncRoutes() {
	rs := p.ls.routes
	now := p.c.now()
	p.probeAnnouncements(now)
	for i := range p.d.Profile.NFs {
		nf := &p.d.Profile.NFs[i]
		if len(nf.Routes) == 0 {
			continue
		}
		want := p.wantedRoutes(nf)
		for _, r := range p.running(nf.Name) {
			p.applyRoutes(r.ctr, want, now)
		}
	}
	// Instances that hold routes of an NF that no longer asks for any.
	for name, st := range rs.applied {
		ctr, ok := p.ctrs[name]
		switch {
		case !ok:
			rs.forget(name)
			continue
		case exited(ctr):
			continue // its namespace, and routes, wait for the restart
		}
		if nf := p.nf(ctr.Spec.Labels[backend.LabelNF]); nf == nil || len(nf.Routes) == 0 {
			if len(st.routes) == 0 && st.failed == nil {
				rs.forget(name)
				continue
			}
			p.applyRoutes(ctr, nil, now)
		}
	}
}

func (rs *routeState) forget(name string) {
	delete(rs.applied, name)
	rs.mu.Lock()
	delete(rs.shown, name)
	rs.mu.Unlock()
}

// probeAnnouncements asks every running replica of every from NF, in
// parallel, and keeps or expires what they said before.
func (p *pass) probeAnnouncements(now time.Time) {
	rs := p.ls.routes
	var probe []container.Container
	froms := map[string]bool{}
	for _, nf := range p.d.Profile.NFs {
		if len(nf.Routes) == 0 || len(p.running(nf.Name)) == 0 {
			continue // nobody to route in
		}
		for _, r := range nf.Routes {
			if !froms[r.From] {
				froms[r.From] = true
				for _, rep := range p.running(r.From) {
					probe = append(probe, rep.ctr)
				}
			}
		}
	}
	answers := make([]map[string][]netip.Prefix, len(probe))
	errs := make([]error, len(probe))
	sem := make(chan struct{}, maxProbes)
	var wg sync.WaitGroup
	for i, ctr := range probe {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			answers[i], errs[i] = p.c.ops.Routes(p.ctx, ctr)
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, ctr := range probe {
		name := ctr.Spec.Name
		seen[name] = true
		a := rs.announced[name]
		if a == nil || a.incarnation != incarnation(ctr) {
			a = &announcement{incarnation: incarnation(ctr)}
			rs.announced[name] = a
		}
		p.heard(name, a, answers[i], errs[i], now)
	}
	for name := range rs.announced {
		if !seen[name] {
			delete(rs.announced, name)
		}
	}
}

// heard records a replica's answer, or its silence: the last answer holds
// for announceHold, then is withdrawn.
func (p *pass) heard(name string, a *announcement, routes map[string][]netip.Prefix, err error, now time.Time) {
	if err == nil {
		a.at, a.routes, a.expired, a.failing = now, routes, false, false
		return
	}
	if !a.failing {
		a.failing = true // logged once per run of failures
		p.c.log.Warn("GET /routes failed; the last answer holds for a while", "instance", name, "hold", announceHold, "err", err)
	}
	if len(a.routes) > 0 && !a.expired && now.Sub(a.at) >= announceHold {
		a.expired = true
		p.c.ev.emit(p.d.Name, name, "RoutesExpired", fmt.Sprintf("%s did not answer GET /routes for %s (%v); its routes are withdrawn", name, announceHold, err), nil)
	}
}

// claim is one replica announcing a prefix.
type claim struct {
	instance string
	via      netip.Addr
}

// wantedRoutes is the set every instance of nf should hold, with conflicts
// resolved (and reported once).
func (p *pass) wantedRoutes(nf *profiles.NF) []backend.Route {
	claims := map[netip.Prefix][]claim{}
	var order []netip.Prefix
	for _, r := range nf.Routes {
		for _, rep := range p.running(r.From) {
			a := p.ls.routes.announced[rep.ctr.Spec.Name]
			via, ok := addressOn(rep.ctr, r.Network)
			if a == nil || a.expired || !ok {
				continue
			}
			for _, dst := range a.routes[r.Network] {
				if claims[dst] == nil {
					order = append(order, dst)
				}
				claims[dst] = append(claims[dst], claim{instance: rep.ctr.Spec.Name, via: via})
			}
		}
	}
	out := make([]backend.Route, 0, len(order))
	current := map[string]bool{}
	for _, dst := range order {
		cs := claims[dst]
		out = append(out, backend.Route{Dst: dst, Via: cs[0].via})
		if len(cs) > 1 {
			p.reportConflict(nf, dst, cs, current)
		}
	}
	p.ls.routes.keepConflicts(nf.Name, current)
	sortRoutes(out)
	return out
}

func (p *pass) reportConflict(nf *profiles.NF, dst netip.Prefix, cs []claim, current map[string]bool) {
	var who []string
	for _, c := range cs {
		who = append(who, fmt.Sprintf("%s (%s)", c.instance, c.via))
	}
	key := nf.Name + " " + dst.String() + " " + strings.Join(who, " ")
	current[key] = true
	if p.ls.routes.conflicts[key] {
		return
	}
	p.ls.routes.conflicts[key] = true
	p.c.ev.emit(p.d.Name, nf.Name, "RouteConflict", fmt.Sprintf("routes of %s: %s is announced by %s; routing it via %s, the first of them",
		nf.Name, dst, strings.Join(who, " and "), cs[0].instance), nil)
}

// keepConflicts forgets nf's reported conflicts that are over, so that one
// coming back is reported again.
func (rs *routeState) keepConflicts(nf string, current map[string]bool) {
	for key := range rs.conflicts {
		if strings.HasPrefix(key, nf+" ") && !current[key] {
			delete(rs.conflicts, key)
		}
	}
}

// applyRoutes hands an instance its set when something calls for it.
func (p *pass) applyRoutes(ctr container.Container, want []backend.Route, now time.Time) {
	rs := p.ls.routes
	name := ctr.Spec.Name
	st := rs.applied[name]
	if st == nil || st.container != ctr.ID {
		st = &appliedRoutes{container: ctr.ID}
		rs.applied[name] = st
	}
	fresh := st.incarnation != incarnation(ctr)
	switch {
	case st.failed != nil && !fresh && slices.Equal(st.failed, want) && now.Before(st.next):
		return // backing off
	case st.failed == nil && !fresh && slices.Equal(st.routes, want) && now.Sub(st.at) < routesResync:
		return // holds them
	}
	if err := p.c.be.SetRoutes(p.ctx, name, want); err != nil {
		if p.ctx.Err() != nil {
			return
		}
		if st.failed == nil || st.errMsg != err.Error() {
			p.c.ev.emit(p.d.Name, name, "RoutesFailed", fmt.Sprintf("cannot set the routes of %s: %v", name, err), nil)
		}
		st.incarnation, st.failed, st.errMsg = incarnation(ctr), slices.Clone(want), err.Error()
		st.backoff = nextBackoff(st.backoff)
		st.next = now.Add(st.backoff)
		return
	}
	if diff := routeDiff(st.routes, want); diff != "" {
		p.c.ev.emit(p.d.Name, name, "Routes", "routes of "+name+": "+diff, map[string]any{"routes": routeTexts(want)})
	}
	*st = appliedRoutes{incarnation: incarnation(ctr), container: ctr.ID, routes: slices.Clone(want), at: now}
	rs.mu.Lock()
	rs.shown[name] = routeTexts(want)
	rs.mu.Unlock()
}

// routeDiff reads "+A via X, -B via Y", "" when nothing changed.
func routeDiff(before, after []backend.Route) string {
	var parts []string
	for _, r := range after {
		if !slices.Contains(before, r) {
			parts = append(parts, "+"+r.String())
		}
	}
	for _, r := range before {
		if !slices.Contains(after, r) {
			parts = append(parts, "-"+r.String())
		}
	}
	return strings.Join(parts, ", ")
}

func routeTexts(rs []backend.Route) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

func sortRoutes(rs []backend.Route) {
	slices.SortFunc(rs, func(a, b backend.Route) int {
		if c := a.Dst.Addr().Compare(b.Dst.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Dst.Bits(), b.Dst.Bits())
	})
}

// addressOn is the instance's address on a network (its interface there).
func addressOn(ctr container.Container, network string) (netip.Addr, bool) {
	for _, a := range ctr.Attachments {
		if a.IfName == network {
			return a.Address.Addr(), true
		}
	}
	return netip.Addr{}, false
}

// routesOf is what Status shows: the routes the instance was last given.
func (rs *routeState) routesOf(instance string) []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return slices.Clone(rs.shown[instance])
}
