package nfsbi_test

import (
	"net"
	"net/http/httptest"
	"testing"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

func TestNRFConfigValidate(t *testing.T) {
	tests := []struct {
		name             string
		uri, adv, listen string
		ok               bool
	}{
		{"no nrf", "", "", "0.0.0.0:8000", true},
		{"no nrf, bad advertise", "", "10.0.0.1", "10.0.0.1:8000", false},
		{"nrf, specific listen", "http://nrf:8000", "", "10.0.0.1:8000", true},
		{"nrf, host name listen", "http://nrf:8000", "", "udr-0:8000", true},
		{"nrf, wildcard listen", "http://nrf:8000", "", "0.0.0.0:8000", false},
		{"nrf, v6 wildcard listen", "http://nrf:8000", "", "[::]:8000", false},
		{"nrf, port-only listen", "http://nrf:8000", "", ":8000", false},
		{"nrf, wildcard listen, advertise", "http://nrf:8000", "https://udr-0.corebox:8443", "0.0.0.0:8000", true},
		{"bad nrf uri", "nrf:8000", "", "10.0.0.1:8000", false},
		{"nrf uri without host", "http://", "", "10.0.0.1:8000", false},
	}
	for _, tt := range tests {
		err := nfsbi.NRFConfig{URI: tt.uri}.Validate(tt.adv, tt.listen)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestInstanceIDOrDefault(t *testing.T) {
	if got := (nfsbi.NRFConfig{InstanceID: "abc"}).InstanceIDOrDefault(); got != "abc" {
		t.Errorf("configured id: %q", got)
	}
	if got, want := (nfsbi.NRFConfig{}).InstanceIDOrDefault(), nrfc.InstanceIDFor(nfkit.Instance()); got != want {
		t.Errorf("default id %q, want %q (UUIDv5 of the instance name)", got, want)
	}
}

func TestCheckURI(t *testing.T) {
	for s, ok := range map[string]bool{
		"http://10.0.0.1:8000": true, "https://nrf.corebox": true, "http://[::1]:80/prefix": true,
		"ftp://nrf": false, "nrf:8000": false, "http://": false, "": false, "http://a b": false,
	} {
		if err := nfsbi.CheckURI("k", s); (err == nil) != ok {
			t.Errorf("CheckURI(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestAdvertiseURI(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41000}
	tests := []struct {
		name, configured, listen, want string
		bound                          net.Addr
	}{
		{"configured wins", "http://udm-0:8000", "127.0.0.1:0", "http://udm-0:8000", bound},
		{"specific listen: the bound address", "", "127.0.0.1:0", "http://127.0.0.1:41000", bound},
		{"wildcard listen: nothing to say", "", "0.0.0.0:8000", "", bound},
		{"not bound yet", "", "127.0.0.1:0", "", nil},
	}
	for _, tt := range tests {
		if got := nfsbi.AdvertiseURI(tt.configured, tt.listen, "http", tt.bound); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRequestRoot(t *testing.T) {
	r := httptest.NewRequest("POST", "http://10.0.0.9:8000/nausf-auth/v1/ue-authentications", nil)
	for _, tt := range []struct{ advertise, scheme, want string }{
		{"https://ausf-0.corebox:8443/", "http", "https://ausf-0.corebox:8443"},
		{"", "http", "http://10.0.0.9:8000"},
		{"", "https", "https://10.0.0.9:8000"},
	} {
		if got := nfsbi.RequestRoot(tt.advertise, tt.scheme, r); got != tt.want {
			t.Errorf("RequestRoot(%q, %q) = %q, want %q", tt.advertise, tt.scheme, got, tt.want)
		}
	}
}
