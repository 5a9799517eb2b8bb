package cni

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseNetworkSpecDefaults(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want NetworkSpec
	}{
		{`{"name":"n3","subnet":"10.100.3.0/24"}`, NetworkSpec{Name: "n3", Subnet: "10.100.3.0/24", Type: TypeBridge, Gateway: true}},
		{`{"name":"n3","subnet":"10.100.3.0/24","gateway":false,"mtu":1400}`, NetworkSpec{Name: "n3", Subnet: "10.100.3.0/24", Type: TypeBridge, MTU: 1400}},
		{`{"name":"ran","subnet":"10.9.0.0/16","type":"macvlan","master":"eth1"}`, NetworkSpec{Name: "ran", Subnet: "10.9.0.0/16", Type: TypeMacvlan, Master: "eth1"}},
		{`{"name":"m","subnet":"10.1.0.0/24","labels":{}}`, NetworkSpec{Name: "m", Subnet: "10.1.0.0/24", Type: TypeBridge, Gateway: true}},
		{`{"name":"m","subnet":"10.1.0.0/24","labels":{"profile":"5gc"}}`, NetworkSpec{Name: "m", Subnet: "10.1.0.0/24", Type: TypeBridge, Gateway: true, Labels: map[string]string{"profile": "5gc"}}},
	} {
		got, err := ParseNetworkSpec([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.in, *got, tc.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", tc.in, err)
		}
	}
}

func TestParseNetworkSpecRejects(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"name":"n3","subnett":"10.0.0.0/24"}`, `unknown field "subnett"`},
		{`{"name":"n3"} {"name":"n4"}`, "after the JSON object"},
		{`{"name":3}`, "cannot unmarshal number"},
		{``, "EOF"},
		{`{"name":"n3","mtu":1e99}`, "mtu"},
	} {
		_, err := ParseNetworkSpec([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// Every static validation error names the field and says what to do.
func TestValidateSpec(t *testing.T) {
	ok := NetworkSpec{Name: "n3", Subnet: "10.100.3.0/24", Type: TypeBridge}
	with := func(f func(*NetworkSpec)) NetworkSpec { s := ok; f(&s); return s }
	for _, tc := range []struct {
		name  string
		spec  NetworkSpec
		field string
		hint  string
	}{
		{"empty name", with(func(s *NetworkSpec) { s.Name = "" }), "name", "needs a name"},
		{"long name", with(func(s *NetworkSpec) { s.Name = "a234567890123456" }), "name", "at most 15"},
		{"uppercase", with(func(s *NetworkSpec) { s.Name = "N3" }), "name", "[a-z0-9][a-z0-9-]*"},
		{"leading dash", with(func(s *NetworkSpec) { s.Name = "-n3" }), "name", "starting with a letter or digit"},
		{"unicode", with(func(s *NetworkSpec) { s.Name = "nö" }), "name", "lowercase letters"},
		{"underscore", with(func(s *NetworkSpec) { s.Name = "n_3" }), "name", "lowercase letters"},
		{"not cidr", with(func(s *NetworkSpec) { s.Subnet = "10.100.3.0" }), "subnet", "such as 10.100.3.0/24"},
		{"garbage", with(func(s *NetworkSpec) { s.Subnet = "ten/8" }), "subnet", "not a CIDR"},
		{"ipv6", with(func(s *NetworkSpec) { s.Subnet = "fd00::/64" }), "subnet", "only IPv4"},
		{"no hosts", with(func(s *NetworkSpec) { s.Subnet = "10.100.3.0/31" }), "subnet", "/30 or shorter"},
		{"host bits", with(func(s *NetworkSpec) { s.Subnet = "10.100.3.5/24" }), "subnet", "write 10.100.3.0/24"},
		{"type", with(func(s *NetworkSpec) { s.Type = "ipvlan" }), "type", `use "bridge" or "macvlan"`},
		{"bridge master", with(func(s *NetworkSpec) { s.Master = "eth0" }), "master", "only macvlan"},
		{"macvlan no master", with(func(s *NetworkSpec) { s.Type = TypeMacvlan }), "master", "needs the host interface"},
		{"macvlan gateway", with(func(s *NetworkSpec) { s.Type, s.Master, s.Gateway = TypeMacvlan, "eth0", true }), "gateway", "set gateway false"},
		{"mtu low", with(func(s *NetworkSpec) { s.MTU = 100 }), "mtu", "between 576 and 9000"},
		{"mtu high", with(func(s *NetworkSpec) { s.MTU = 65536 }), "mtu", "between 576 and 9000"},
		{"mtu negative", with(func(s *NetworkSpec) { s.MTU = -1 }), "mtu", "between 576 and 9000"},
		{"label key", with(func(s *NetworkSpec) { s.Labels = map[string]string{" ": "x"} }), "labels", "must not be empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("got %v, want a *ValidationError", err)
			}
			if ve.Field != tc.field || !strings.Contains(err.Error(), tc.hint) {
				t.Fatalf("got field %q message %q; want field %q and a message containing %q", ve.Field, err, tc.field, tc.hint)
			}
		})
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
}

func TestImpairmentValidate(t *testing.T) {
	for _, tc := range []struct {
		imp  Impairment
		hint string
	}{
		{Impairment{Delay: -time.Millisecond}, "delay"},
		{Impairment{Jitter: time.Millisecond}, "give a delay too"},
		{Impairment{Delay: time.Millisecond, LossPercent: 101}, "between 0 and 100"},
		{Impairment{RateBitsPerSec: 7}, "at least 8"},
		{Impairment{Delay: 2 * maxDuration}, "between 0 and"},
	} {
		err := Impair("/nonexistent", "x", tc.imp)
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("%+v: got %v, want an invalid-spec error containing %q", tc.imp, err, tc.hint)
		}
	}
}

func TestBridgeName(t *testing.T) {
	short := bridgeName("/var/lib/corebox", "n3")
	if !strings.HasPrefix(short, "cb") || !strings.HasSuffix(short, "-n3") || len(short) != 11 {
		t.Fatalf("short name %q", short)
	}
	if other := bridgeName("/tmp/other", "n3"); other == short {
		t.Fatalf("two state roots share bridge %q", short)
	}
	long := bridgeName("/var/lib/corebox", "5gc-signalling")
	if len(long) != 15 || !strings.Contains(long, "_") || long != bridgeName("/var/lib/corebox", "5gc-signalling") {
		t.Fatalf("long name %q: want 15 bytes, deterministic, hashed", long)
	}
	if long == bridgeName("/var/lib/corebox", "5gc-signallinh") {
		t.Fatal("hashed names collide")
	}
}

func TestSubnetAddresses(t *testing.T) {
	for _, tc := range []struct{ p, first, bcast string }{
		{"10.0.0.0/24", "10.0.0.1", "10.0.0.255"},
		{"10.0.0.0/30", "10.0.0.1", "10.0.0.3"},
		{"10.0.0.0/13", "10.0.0.1", "10.7.255.255"},
		{"0.0.0.0/0", "0.0.0.1", "255.255.255.255"},
	} {
		p := netip.MustParsePrefix(tc.p)
		if got := firstHost(p).String(); got != tc.first {
			t.Errorf("firstHost(%s) = %s", tc.p, got)
		}
		if got := broadcast(p).String(); got != tc.bcast {
			t.Errorf("broadcast(%s) = %s", tc.p, got)
		}
	}
}

// FuzzParseNetworkSpec: parsing never panics; a parsed spec either
// validates (and then renders a conflist libcni accepts, with a bridge
// name that fits) or fails with a *ValidationError; and marshal/parse is
// a fixed point.
func FuzzParseNetworkSpec(f *testing.F) {
	f.Add([]byte(`{"name":"n3","subnet":"10.100.3.0/24"}`))
	m := &Manager{paths: paths{root: "/var/lib/corebox"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseNetworkSpec(data)
		if err != nil {
			return
		}
		if err := spec.Validate(); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidSpec) || ve.Field == "" {
				t.Fatalf("Validate returned an untyped error %T: %v", err, err)
			}
		} else {
			checkRenders(t, m, spec)
		}
		out, err := json.Marshal(spec)
		if err != nil {
			t.Fatalf("marshal %+v: %v", spec, err)
		}
		again, err := ParseNetworkSpec(out)
		if err != nil {
			t.Fatalf("reparse %s: %v", out, err)
		}
		if !reflect.DeepEqual(spec, again) {
			t.Fatalf("round trip changed the spec:\n%+v\n%+v\n(%s)", spec, again, out)
		}
	})
}

func checkRenders(t *testing.T, m *Manager, spec *NetworkSpec) {
	n := &Network{NetworkSpec: *spec}
	if spec.Type == TypeBridge {
		n.Bridge = bridgeName(m.paths.root, spec.Name)
		if len(n.Bridge) > 15 {
			t.Fatalf("bridge name %q is longer than 15 bytes", n.Bridge)
		}
	}
	list, err := m.confList(n)
	if err != nil {
		t.Fatalf("valid spec %+v does not render: %v", spec, err)
	}
	if list.Name != spec.Name || len(list.Plugins) == 0 || list.Plugins[0].Network.Type != spec.Type {
		t.Fatalf("conflist for %+v: name %q, plugins %d", spec, list.Name, len(list.Plugins))
	}
}
