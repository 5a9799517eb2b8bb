package smf

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/nas5g"
)

// dnnEntry is one configured data network in one slice.
type dnnEntry struct {
	name   string // lower case: DNNs compare case-insensitively
	snssai models.Snssai
	nas    nas5g.SNSSAI
	pool   *dnnPool
	dns    []netip.Addr
	mtu    int
}

// dnnTable is every DNN the SMF serves.
type dnnTable struct {
	entries []*dnnEntry
}

// lookup finds the entry for dnn in slice s; known says whether the DNN
// exists in any slice (to tell "unknown DNN" from "not in this slice").
func (t *dnnTable) lookup(dnn string, s models.Snssai) (e *dnnEntry, known bool) {
	name := strings.ToLower(dnn)
	for _, e := range t.entries {
		if e.name != name {
			continue
		}
		known = true
		if snssaiEqual(e.snssai, s) {
			return e, true
		}
	}
	return nil, known
}

// byName lists the entries of a DNN (any slice).
func (t *dnnTable) byName(dnn string) []*dnnEntry {
	var out []*dnnEntry
	for _, e := range t.entries {
		if strings.EqualFold(e.name, dnn) {
			out = append(out, e)
		}
	}
	return out
}

// snssaiEqual compares S-NSSAIs, treating SD case and "no SD" spellings
// (empty, FFFFFF) alike.
func snssaiEqual(a, b models.Snssai) bool {
	return a.Sst == b.Sst && normSD(a.Sd) == normSD(b.Sd)
}

func normSD(sd string) string {
	sd = strings.ToLower(sd)
	if sd == "ffffff" {
		return ""
	}
	return sd
}

// dnnTable builds and checks the dnns section.
func (c Config) dnnTable() (*dnnTable, error) {
	if len(c.DNNs) == 0 {
		return nil, errors.New("dnns: list at least one {dnn, sst, pool}")
	}
	t := &dnnTable{}
	var errs []error
	for i, d := range c.DNNs {
		e, err := d.entry(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, o := range t.entries {
			if o.name == e.name && snssaiEqual(o.snssai, e.snssai) {
				errs = append(errs, fmt.Errorf("dnns[%d]: %s in slice %s is listed twice", i, d.DNN, e.nas))
			}
			if o.pool.prefix.Overlaps(e.pool.prefix) {
				errs = append(errs, fmt.Errorf("dnns[%d].pool %s overlaps the pool of %s (%s)", i, e.pool.prefix, o.name, o.pool.prefix))
			}
		}
		t.entries = append(t.entries, e)
	}
	return t, errors.Join(errs...)
}

func (d DNNConfig) entry(i int) (*dnnEntry, error) {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("dnns[%d]."+format, append([]any{i}, a...)...))
	}
	if !dnnRe.MatchString(d.DNN) {
		bad("dnn %q: want labels of letters, digits, '-' and '.'", d.DNN)
	}
	if d.SST < 1 || d.SST > 255 {
		bad("sst %d: want 1..255", d.SST)
	}
	s := nas5g.SNSSAI{SST: uint8(d.SST)}
	if d.SD != "" {
		v, err := strconv.ParseUint(d.SD, 16, 32)
		if !sdRe.MatchString(d.SD) || err != nil || v == uint64(nas5g.NoSD) {
			bad("sd %q: want 6 hex digits (not FFFFFF) or empty", d.SD)
		}
		s.SD, s.HasSD = uint32(v), true
	}
	pool, err := netip.ParsePrefix(d.Pool)
	switch {
	case err != nil || !pool.Addr().Is4():
		bad("pool %q: want an IPv4 CIDR such as 10.45.0.0/16", d.Pool)
	case pool != pool.Masked():
		bad("pool %q: host bits set (did you mean %s?)", d.Pool, pool.Masked())
	case pool.Bits() > 30 || pool.Bits() < 8:
		bad("pool %q: want /8 to /30", d.Pool)
	}
	if d.UPFPrefix != 0 && (d.UPFPrefix < pool.Bits() || d.UPFPrefix > 30) {
		bad("upf_prefix %d: want 0 (whole pool) or %d..30", d.UPFPrefix, pool.Bits())
	}
	var dns []netip.Addr
	for _, s := range d.DNS {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			bad("dns %q: want an IPv4 address", s)
			continue
		}
		dns = append(dns, a)
	}
	if d.MTU != 0 && (d.MTU < 576 || d.MTU > 9000) {
		bad("mtu %d: want 0 (not signalled) or 576..9000", d.MTU)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	name := strings.ToLower(d.DNN)
	return &dnnEntry{name: name, nas: s, dns: dns, mtu: d.MTU,
		snssai: models.Snssai{Sst: int32(d.SST), Sd: strings.ToLower(d.SD)},
		pool:   newDNNPool(name, pool, d.UPFPrefix)}, nil
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
