package nfsbi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
)

// FuzzServiceRoot: a discovered profile is peer input. Whatever it holds,
// ServiceRoot either finds nothing or an http(s)://host root without a
// trailing slash, for every service the profile names.
func FuzzServiceRoot(f *testing.F) {
	f.Add([]byte(`{"nfInstanceId":"a","nfType":"UDR","nfServices":[{"serviceInstanceId":"1","serviceName":"nudr-dr","apiPrefix":"http://udr:8000/"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p models.Nrf_NFDisc_NFProfile
		if json.Unmarshal(data, &p) != nil {
			return
		}
		names := []models.Nrf_NFMgmt_ServiceName{models.Nrf_NFMgmt_ServiceName_NUDR_DR}
		for _, s := range p.NfServices {
			names = append(names, s.ServiceName)
		}
		for _, s := range p.NfServiceList {
			names = append(names, s.ServiceName)
		}
		for _, name := range names {
			root, ok := nfsbi.ServiceRoot(p, name)
			if !ok {
				if root != "" {
					t.Fatalf("%s: not found but root %q", name, root)
				}
				continue
			}
			if err := nfsbi.CheckURI("root", root); err != nil || strings.HasSuffix(root, "/") {
				t.Fatalf("%s: root %q (%v)", name, root, err)
			}
		}
	})
}
