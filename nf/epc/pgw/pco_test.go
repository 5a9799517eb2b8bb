package pgw

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

func TestAnswerPCO(t *testing.T) {
	spec := apnSpec{dns: []netip.Addr{netip.MustParseAddr("10.0.0.53"), netip.MustParseAddr("10.0.0.54")},
		pcscf: []netip.Addr{netip.MustParseAddr("10.0.0.5")}}
	ipcpReq := []byte{1, 7, 0, 16, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0}
	ipcpNak := []byte{3, 7, 0, 16, 129, 6, 10, 0, 0, 53, 131, 6, 10, 0, 0, 54}
	tests := []struct {
		name string
		req  []*ie.PCOContainer
		want map[uint16][][]byte
	}{
		{"nothing asked", nil, nil},
		{"dns", []*ie.PCOContainer{ie.NewPCOContainer(0x000d, nil)},
			map[uint16][][]byte{0x000d: {{10, 0, 0, 53}, {10, 0, 0, 54}}}},
		{"p-cscf and bcm", []*ie.PCOContainer{ie.NewPCOContainer(0x000c, nil), ie.NewPCOContainer(0x0005, nil)},
			map[uint16][][]byte{0x000c: {{10, 0, 0, 5}}, 0x0005: {{2}}}},
		{"ipcp", []*ie.PCOContainer{ie.NewPCOContainer(0x8021, ipcpReq)}, map[uint16][][]byte{0x8021: {ipcpNak}}},
		{"ipcp truncated", []*ie.PCOContainer{ie.NewPCOContainer(0x8021, ipcpReq[:9])}, nil},
		{"unknown container", []*ie.PCOContainer{ie.NewPCOContainer(0x0010, nil)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req *ie.IE
			if tt.req != nil {
				req = ie.NewProtocolConfigurationOptions(0, tt.req...)
			}
			got := answerPCO(req, spec)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("answered %v", got)
				}
				return
			}
			f, err := got.ProtocolConfigurationOptions()
			if err != nil {
				t.Fatal(err)
			}
			have := map[uint16][][]byte{}
			for _, c := range f.ProtocolOrContainers {
				have[c.ID] = append(have[c.ID], c.Contents)
			}
			for id, want := range tt.want {
				if len(have[id]) != len(want) {
					t.Fatalf("container %#x: %x, want %x", id, have[id], want)
				}
				for i := range want {
					if !bytes.Equal(have[id][i], want[i]) {
						t.Errorf("container %#x[%d] = %x, want %x", id, i, have[id][i], want[i])
					}
				}
			}
			if len(have) != len(tt.want) {
				t.Errorf("containers %v, want %v", have, tt.want)
			}
		})
	}
}
