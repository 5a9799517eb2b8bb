package nfsbi_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
)

func TestAPIVersion(t *testing.T) {
	want := map[models.Nrf_NFMgmt_ServiceName]string{
		models.Nrf_NFMgmt_ServiceName_NNRF_NFM:             "v1",
		models.Nrf_NFMgmt_ServiceName_NNRF_DISC:            "v1",
		models.Nrf_NFMgmt_ServiceName_NUDR_DR:              "v2",
		models.Nrf_NFMgmt_ServiceName_NUDM_SDM:             "v2",
		models.Nrf_NFMgmt_ServiceName_NUDM_UEAU:            "v1",
		models.Nrf_NFMgmt_ServiceName_NUDM_UECM:            "v1",
		models.Nrf_NFMgmt_ServiceName_NAUSF_AUTH:           "v1",
		models.Nrf_NFMgmt_ServiceName_NPCF_SMPOLICYCONTROL: "v1",
		models.Nrf_NFMgmt_ServiceName_NNSSF_NSSELECTION:    "v2",
		models.Nrf_NFMgmt_ServiceName_NSMF_PDUSESSION:      "v1",
		models.Nrf_NFMgmt_ServiceName_NAMF_COMM:            "v1",
	}
	for s, v := range want {
		if got, err := nfsbi.APIVersion(s); err != nil || got != v {
			t.Errorf("APIVersion(%s) = %q, %v; want %s", s, got, err, v)
		}
	}
	if v, err := nfsbi.APIVersion(models.Nrf_NFMgmt_ServiceName_NLMF_LOC); err == nil {
		t.Errorf("unknown service: %q, want an error", v)
	}
}

func TestNFProfile(t *testing.T) {
	tests := []struct {
		name, advertise string
		v4, v6          []string
		fqdn            string
		port            int32 // of the one endpoint; 0: none
		root            string
	}{
		{"ipv4", "http://10.0.0.5:8000", []string{"10.0.0.5"}, nil, "", 8000, "http://10.0.0.5:8000"},
		{"ipv6", "http://[fd00::5]:8000", nil, []string{"fd00::5"}, "", 8000, "http://[fd00::5]:8000"},
		{"http default port", "http://10.0.0.5", []string{"10.0.0.5"}, nil, "", 80, "http://10.0.0.5"},
		{"https default port", "https://10.0.0.5/", []string{"10.0.0.5"}, nil, "", 443, "https://10.0.0.5"},
		{"fqdn", "https://nssf-0.corebox.test:8443/", nil, nil, "nssf-0.corebox.test", 0, "https://nssf-0.corebox.test:8443"},
	}
	services := []models.Nrf_NFMgmt_ServiceName{models.Nrf_NFMgmt_ServiceName_NUDM_UEAU, models.Nrf_NFMgmt_ServiceName_NUDM_SDM}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := nfsbi.NFProfile("id-1", models.Nrf_NFMgmt_NFType_UDM, tt.advertise, services...)
			if err != nil {
				t.Fatal(err)
			}
			if p.NfInstanceId != "id-1" || p.NfType != models.Nrf_NFMgmt_NFType_UDM || p.NfStatus != models.Nrf_NFMgmt_NFStatus_REGISTERED ||
				!slices.Equal(p.Ipv4Addresses, tt.v4) || !slices.Equal(p.Ipv6Addresses, tt.v6) || p.Fqdn != tt.fqdn {
				t.Fatalf("profile %+v", p)
			}
			if len(p.NfServices) != len(services) {
				t.Fatalf("%d services, want %d", len(p.NfServices), len(services))
			}
			for i, s := range p.NfServices {
				v, _ := nfsbi.APIVersion(services[i])
				if s.ServiceName != services[i] || len(s.Versions) != 1 || s.Versions[0].ApiVersionInUri != v ||
					s.Versions[0].ApiFullVersion != v[1:]+".0.0" || s.ApiPrefix != tt.root {
					t.Errorf("service %d: %+v", i, s)
				}
				if (tt.port == 0) != (len(s.IpEndPoints) == 0) || (tt.port != 0 && s.IpEndPoints[0].Port != tt.port) {
					t.Errorf("service %d endpoints %+v, want port %d", i, s.IpEndPoints, tt.port)
				}
			}
			// Round trip: what a consumer discovers leads back to us.
			disc := toDiscovered(t, p)
			for _, s := range services {
				if root, ok := nfsbi.ServiceRoot(disc, s); !ok || root != tt.root {
					t.Errorf("ServiceRoot(%s) = %q, %v; want %s", s, root, ok, tt.root)
				}
			}
		})
	}
}

func TestNFProfileRejects(t *testing.T) {
	for name, tt := range map[string]struct {
		advertise string
		service   models.Nrf_NFMgmt_ServiceName
	}{
		"empty advertise":         {"", models.Nrf_NFMgmt_ServiceName_NUDR_DR},
		"advertise no URI":        {"10.0.0.1:8000", models.Nrf_NFMgmt_ServiceName_NUDR_DR},
		"bad port":                {"http://10.0.0.1:99999", models.Nrf_NFMgmt_ServiceName_NUDR_DR},
		"service with no version": {"http://10.0.0.1:8000", models.Nrf_NFMgmt_ServiceName_NLMF_LOC},
	} {
		if _, err := nfsbi.NFProfile("id", models.Nrf_NFMgmt_NFType_UDR, tt.advertise, tt.service); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// toDiscovered is p as a consumer decodes it from a discovery answer.
func toDiscovered(t testing.TB, p models.Nrf_NFMgmt_NFProfile) models.Nrf_NFDisc_NFProfile {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var d models.Nrf_NFDisc_NFProfile
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}
