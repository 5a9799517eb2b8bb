package pcrf

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"

	"github.com/corebox/corebox/nf/proto/diameter"
)

func TestRuleReports(t *testing.T) {
	member := func(code uint32, d datatype.Type) *diam.AVP {
		return diam.NewAVP(code, avp.Mbit|avp.Vbit, diameter.Vendor3GPP, d)
	}
	members := []*diam.AVP{member(avpChargingRuleName, datatype.OctetString("rx-1-1")),
		member(avpChargingRuleName, datatype.OctetString("rx-1-2")),
		member(avpPCCRuleStatus, datatype.Enumerated(1)), member(avpRuleFailureCode, datatype.Enumerated(4)),
		diam.NewAVP(avp.ChargingRuleName, avp.Mbit, 0, datatype.OctetString("not 3GPP"))}
	grouped := &diam.GroupedAVP{AVP: members}
	want := []ruleReport{{names: []string{"rx-1-1", "rx-1-2"}, status: 1, hasStatus: true, failure: 4}}
	tests := []struct {
		name string
		data datatype.Type
		want []ruleReport
		bad  bool
	}{
		{"as go-diameter decodes it (Unknown)", datatype.Unknown(grouped.Serialize()), want, false},
		{"as a dictionary that knows it would (Grouped)", grouped, want, false},
		{"empty", datatype.Unknown(nil), []ruleReport{{}}, false},
		{"truncated header", datatype.Unknown([]byte{0, 0, 3, 0xed, 0xc0}), nil, true},
		{"length past the end", datatype.Unknown([]byte{0, 0, 3, 0xed, 0x40, 0, 0, 20, 1, 2, 3, 4}), nil, true},
		{"length below the header", datatype.Unknown([]byte{0, 0, 3, 0xed, 0xc0, 0, 0, 8, 0, 0, 0x28, 0xaf}), nil, true},
		{"3-octet status", datatype.Unknown([]byte{0, 0, 3, 0xfb, 0xc0, 0, 0, 15, 0, 0, 0x28, 0xaf, 'a', 'b', 'c', 0}), nil, true},
		{"not grouped", datatype.Unsigned32(1), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := diam.NewRequest(diameter.CmdCreditControl, diameter.AppGx, nil)
			m.AddAVP(diam.NewAVP(avpChargingRuleReport, avp.Mbit|avp.Vbit, diameter.Vendor3GPP, tc.data))
			got, err := ruleReports(m, "CCR")
			if tc.bad {
				if !errors.Is(err, diameter.ErrInvalidAVP) {
					t.Errorf("got %+v, %v; want an invalid AVP error", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
