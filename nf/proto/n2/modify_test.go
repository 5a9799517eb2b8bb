package n2

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// transferCodec is one transfer type's encoder and decoder, for the
// table-driven tests.
type transferCodec struct {
	value  interface{ Encode() ([]byte, error) }
	decode func([]byte) (any, error)
}

func modifyTransferCases() map[string]transferCodec {
	req := func(b []byte) (any, error) { return DecodeModifyRequestTransfer(b) }
	rsp := func(b []byte) (any, error) { return DecodeModifyResponseTransfer(b) }
	fail := func(b []byte) (any, error) { return DecodeModifyUnsuccessfulTransfer(b) }
	other := GTPTunnel{Addr: netip.MustParseAddr("192.168.7.1"), TEID: 0xFFFFFFFF}
	return map[string]transferCodec{
		"request one tunnel": {&ModifyRequestTransfer{ULTunnelModify: []ULTunnelModifyItem{{UL: newUPF, DL: gnbDL}}}, req},
		"request four tunnels": {&ModifyRequestTransfer{ULTunnelModify: []ULTunnelModifyItem{
			{UL: newUPF, DL: gnbDL}, {UL: oldUPF, DL: gnbDL}, {UL: other, DL: other}, {UL: GTPTunnel{Addr: netip.IPv4Unspecified()}, DL: gnbDL}}}, req},
		"response both tunnels": {&ModifyResponseTransfer{DLTunnel: &gnbDL, ULTunnel: &newUPF}, rsp},
		"response DL only":      {&ModifyResponseTransfer{DLTunnel: &gnbDL}, rsp},
		"response UL only":      {&ModifyResponseTransfer{ULTunnel: &other}, rsp},
		"response empty":        {&ModifyResponseTransfer{}, rsp},
		"unsuccessful radio":    {&ModifyUnsuccessfulTransfer{Cause: CauseUnknownPDUSessionID}, fail},
		"unsuccessful misc":     {&ModifyUnsuccessfulTransfer{Cause: CauseMiscUnspecified}, fail},
	}
}

func TestModifyTransferRoundTrip(t *testing.T) {
	for name, tc := range modifyTransferCases() {
		t.Run(name, func(t *testing.T) {
			b := mustEncode(t, tc.value)
			got, err := tc.decode(b)
			if err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			if !reflect.DeepEqual(got, tc.value) {
				t.Fatalf("round trip changed the transfer\n got  %+v\n want %+v", got, tc.value)
			}
			if again := mustEncode(t, got.(interface{ Encode() ([]byte, error) })); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs:\n %x\n %x", again, b)
			}
			for n := 0; n < len(b); n++ {
				if _, err := tc.decode(b[:n]); err == nil {
					t.Errorf("%d of %d octets decoded", n, len(b))
				}
			}
		})
	}
}

// The transfers Wireshark printed for sampleModifyTransfers (checked by
// TestTsharkModify): they pin our encoding down.
func TestModifyTransferKnownBytes(t *testing.T) {
	req, rsp, fail := sampleModifyTransfers(t)
	for name, tc := range map[string]struct {
		got  []byte
		want string
	}{
		"request":      {req, "000001008c0014001f0a64c8095566778801f00a64c80200000007"},
		"response":     {rsp, "6003e00a64c8020000000701f00a64c80955667788"},
		"unsuccessful": {fail, "00d0"},
	} {
		if hex.EncodeToString(tc.got) != tc.want {
			t.Errorf("%s: %x, want %s", name, tc.got, tc.want)
		}
	}
}

// A Modify Request Transfer may carry none of what we model: free5gc/ngap
// v1.2.0's own test case (ie/pdu_session_resource_modify_request_transfer_test.go,
// "Case 1", a QoS flow add) decodes to no tunnel moves.
func TestModifyRequestTransferWithoutTunnels(t *testing.T) {
	b := []byte{0x00, 0x00, 0x01, 0x00, 0x87, 0x00, 0x07, 0x01, 0x01, 0x00, 0x00, 0x05, 0x38, 0x40}
	got, err := DecodeModifyRequestTransfer(b)
	if err != nil || len(got.ULTunnelModify) != 0 {
		t.Fatalf("QoS-only modify request transfer: %+v %v", got, err)
	}
}

// Empty octets and a transfer of another type do not decode. (APER does
// not name its types: short transfers can pass for others, so this is no
// general property.)
func TestModifyTransferRejectsOtherTransfers(t *testing.T) {
	setupRsp := mustEncode(t, &SetupResponseTransfer{DLTunnel: gnbDL, QFIs: []uint8{1}})
	for name, err := range map[string]error{
		"empty request":        errOf(DecodeModifyRequestTransfer(nil)),
		"empty response":       errOf(DecodeModifyResponseTransfer(nil)),
		"empty unsuccessful":   errOf(DecodeModifyUnsuccessfulTransfer(nil)),
		"setup rsp as request": errOf(DecodeModifyRequestTransfer(setupRsp)),
	} {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecoderPanic) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

// The Modify Request carries the NAS PDU per session, and the parse
// helpers check the message kind.
func TestParseModifyMessages(t *testing.T) {
	cases := roundTripCases(t)
	b := mustEncode(t, cases["PDU session resource modify request"])
	req, err := ParsePDUSessionResourceModifyRequest(b)
	if err != nil || len(req.Sessions) != 2 || !bytes.Equal(req.Sessions[0].NASPDU, testNAS) || req.Sessions[1].NASPDU != nil {
		t.Fatalf("modify request %+v %v", req, err)
	}
	tr, err := DecodeModifyRequestTransfer(req.Sessions[0].Transfer)
	if err != nil || len(tr.ULTunnelModify) != 1 || tr.ULTunnelModify[0].UL != newUPF || tr.ULTunnelModify[0].DL != gnbDL {
		t.Fatalf("modify request transfer %+v %v", tr, err)
	}
	if _, err := ParsePDUSessionResourceModifyResponse(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("request parsed as response: %v", err)
	}
	rsp, err := ParsePDUSessionResourceModifyResponse(mustEncode(t, cases["PDU session resource modify response"]))
	if err != nil || len(rsp.Sessions) != 1 || len(rsp.Failed) != 1 {
		t.Fatalf("modify response %+v %v", rsp, err)
	}
	un, err := DecodeModifyUnsuccessfulTransfer(rsp.Failed[0].Transfer)
	if err != nil || un.Cause != CauseUnknownPDUSessionID {
		t.Fatalf("unsuccessful transfer %+v %v", un, err)
	}
}

// TestTsharkModify has Wireshark read the transfers inside the Modify
// messages: the tunnels and the cause must come out as we meant them.
func TestTsharkModify(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	cases := roundTripCases(t)
	frames := tsharkFrames(t, tshark, [][]byte{
		mustEncode(t, cases["PDU session resource modify request"]),
		mustEncode(t, cases["PDU session resource modify response"]),
	})
	if len(frames) != 2 {
		t.Fatalf("tshark printed %d frames", len(frames))
	}
	for i, want := range [][]string{
		{"PDUSessionResourceModifyRequest", "procedureCode: id-PDUSessionResourceModify (26)", "UL-NGU-UP-TNLModifyList: 1 item",
			"TransportLayerAddress (IPv4): 10.100.200.9", "gTP-TEID: 55667788", "TransportLayerAddress (IPv4): 10.100.200.2",
			"gTP-TEID: 00000007", "Registration request"},
		{"PDUSessionResourceModifyResponse", "PDUSessionResourceModifyResponseTransfer", "dL-NGU-UP-TNLInformation",
			"uL-NGU-UP-TNLInformation", "TransportLayerAddress (IPv4): 10.100.200.9",
			"radioNetwork: unknown-PDU-session-ID (26)"},
	} {
		for _, w := range want {
			if !strings.Contains(frames[i], w) {
				t.Errorf("frame %d lacks %q:\n%s", i+1, w, frames[i])
			}
		}
	}
}
