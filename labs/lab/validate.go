package lab

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/corebox/corebox/labs/report"
)

var (
	digits15 = regexp.MustCompile(`^[0-9]{15}$`)
	hex32    = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	hex6     = regexp.MustCompile(`^[0-9a-fA-F]{6}$`)
)

// validate checks the decoded lab and names default step names.
func (l *Lab) validate(file string) error {
	var errs []error
	fail := func(line int, key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s: %s", file, line, key, fmt.Sprintf(format, args...)))
	}
	if l.Name == "" {
		fail(1, "name", "required: the lab's name")
	}
	if l.Profile == "" {
		fail(1, "profile", "required: a shipped profile name or a path")
	}
	for i, s := range l.Subscribers {
		s.check(func(key, format string, args ...any) {
			fail(1, fmt.Sprintf("subscribers[%d].%s", i, key), format, args...)
		})
	}
	seen := map[string]bool{}
	for i := range l.Steps {
		s := &l.Steps[i]
		key := fmt.Sprintf("steps[%d]", i)
		if s.actions() != 1 {
			fail(s.Line, key, "want exactly one of register, session, traffic, idle, deregister, assert; got %d", s.actions())
			continue
		}
		if s.Name == "" {
			s.Name = s.Kind()
			for n := 2; seen[s.Name]; n++ {
				s.Name = s.Kind() + "-" + strconv.Itoa(n)
			}
		}
		if seen[s.Name] {
			fail(s.Line, key+".name", "%q is used by an earlier step; names must be unique", s.Name)
		}
		for _, msg := range s.problems(seen) {
			fail(s.Line, key+"."+s.Kind()+msg.key, "%s", msg.text)
		}
		seen[s.Name] = true
	}
	return errors.Join(errs...)
}

func (s Subscribers) check(fail func(key, format string, args ...any)) {
	if !digits15.MatchString(s.IMSI) {
		fail("imsi", "%q: want 15 digits (MCC, MNC, MSIN)", s.IMSI)
	}
	if s.Count < 1 {
		fail("count", "%d: want at least 1", s.Count)
	}
	if !hex32.MatchString(s.K) {
		fail("k", "want 32 hex digits")
	}
	if (s.OP == "") == (s.OPc == "") {
		fail("op", "give exactly one of op and opc")
	}
	for key, v := range map[string]string{"op": s.OP, "opc": s.OPc} {
		if v != "" && !hex32.MatchString(v) {
			fail(key, "want 32 hex digits")
		}
	}
	if s.DNN == "" {
		fail("dnn", "required: the subscribed data network name")
	}
	if s.SST < 0 || s.SST > 255 {
		fail("sst", "%d: want 0..255", s.SST)
	}
	if s.SD != "" && !hex6.MatchString(s.SD) {
		fail("sd", "%q: want 6 hex digits", s.SD)
	}
}

type problem struct{ key, text string }

// problems checks one step's action; earlier holds earlier step names.
func (s Step) problems(earlier map[string]bool) []problem {
	var out []problem
	add := func(key, format string, args ...any) {
		out = append(out, problem{key, fmt.Sprintf(format, args...)})
	}
	ue := func(u UEStep) {
		if u.NF == "" {
			add(".nf", "required: the simulator NF whose UEs act (e.g. ue)")
		}
		if u.Concurrency < 0 {
			add(".concurrency", "%d: want >= 0 (0: all at once)", u.Concurrency)
		}
		if u.Timeout < 0 {
			add(".timeout", "%v: want >= 0", u.Timeout)
		}
	}
	switch {
	case s.Register != nil:
		ue(*s.Register)
	case s.Idle != nil:
		ue(*s.Idle)
	case s.Deregister != nil:
		ue(s.Deregister.UEStep)
	case s.Session != nil:
		ue(s.Session.UEStep)
		if s.Session.DNN == "" {
			add(".dnn", "required: the data network name")
		}
		if s.Session.ID < 0 || s.Session.ID > 15 {
			add(".id", "%d: want a PDU session ID 1..15", s.Session.ID)
		}
	case s.Traffic != nil:
		t := s.Traffic
		ue(t.UEStep)
		if _, port, err := net.SplitHostPort(t.Target); err != nil || port == "" {
			add(".target", "%q: want host:port of a UDP echo server (e.g. ${dn.n6}:7)", t.Target)
		}
		if t.Count < 1 {
			add(".count", "%d: want at least 1", t.Count)
		}
		if t.Size < 1 || t.Size > 60000 {
			add(".size", "%d: want 1..60000 bytes", t.Size)
		}
		if t.Interval < 0 || t.Wait < 0 {
			add(".interval", "durations must be >= 0")
		}
	case s.Assert != nil:
		a := s.Assert
		if !earlier[a.Step] {
			add(".step", "%q: name an earlier step", a.Step)
		}
		if !slices.Contains(report.Metrics, a.Metric) {
			add(".metric", "%q: want one of %s", a.Metric, strings.Join(report.Metrics, ", "))
		}
		if a.Min == nil && a.Max == nil {
			add("", "give min, max or both")
		}
	}
	return out
}
