package naseps

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	seen := map[MessageType]bool{}
	for _, c := range roundTripCases(t) {
		t.Run(c.name, func(t *testing.T) {
			b := mustMarshal(t, c.msg)
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse(%x): %v", b, err)
			}
			if !reflect.DeepEqual(got, c.msg) {
				t.Fatalf("round trip changed the message\n got  %+v\n want %+v", got, c.msg)
			}
			again := mustMarshal(t, got)
			if !bytes.Equal(again, b) {
				t.Fatalf("re-marshal %x, first %x", again, b)
			}
			if got.MessageType() != c.msg.MessageType() {
				t.Fatalf("type %v, want %v", got.MessageType(), c.msg.MessageType())
			}
		})
		seen[c.msg.MessageType()] = true
	}
	for mt := range kinds {
		if !seen[mt] {
			t.Errorf("no round-trip case for %v", mt)
		}
	}
}

// TestPublishedEncodings decodes and re-encodes the EPS NAS messages of
// open5gs/open5gs tests/unit/nas-message-test.c (a real UE's Attach
// Request, and the Attach Accept, Attach Complete, Attach Reject, Identity
// Request/Response and Service Request encodings open5gs checks).
func TestPublishedEncodings(t *testing.T) {
	t.Run("attach request from a UE", func(t *testing.T) {
		b := unhex(t, "0741020bf600f110000201030003e605f07000001000050215d011d15200f11030395c0a003103e5e0349011035758a65d0100e0c1")
		m, err := ParseAs[*AttachRequest](b)
		if err != nil {
			t.Fatal(err)
		}
		want := &AttachRequest{AttachType: AttachCombined, KSI: KSI{Value: 0},
			Identity:            GUTIIdentity(GUTI{PLMN: testPLMN, MMEGroupID: 2, MMECode: 1, MTMSI: 0x030003e6}),
			UENetworkCapability: UENetworkCapability{EEA: 0xF0, EIA: 0x70, Extra: []byte{0, 0, 0x10}},
			ESMContainer:        unhex(t, "0215d011d1"),
			LastVisitedTAI:      &TAI{PLMN: testPLMN, TAC: 0x3039}, DRX: &DRXParameter{SplitPGCycleCode: 10},
			MSNetworkCapability: unhex(t, "e5e034")}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("got  %+v\nwant %+v", m, want)
		}
		esm, err := ParseAs[*PDNConnectivityRequest](m.ESMContainer)
		if err != nil {
			t.Fatal(err)
		}
		if esm.PTI != 0x15 || esm.PDNType != PDNTypeIPv4 || esm.RequestType != RequestInitial || !esm.ESMInfoTransfer {
			t.Fatalf("inner PDN connectivity request %+v", esm)
		}
	})
	t.Run("attach accept", func(t *testing.T) {
		// open5gs's bytes with the IEs we do not model (location area
		// identification 13..., MS identity 23...) cut out.
		full := "07420223060014f799303900325201c101090908696e7465726e657405010ae1000a271b80802110020200108106c0a8a801" +
			"8306c0a8a801000d04c0a8a801500bf614f7992345e1000004561300f120fffd2305f400e102d4640123"
		ours := "07420223060014f799303900325201c101090908696e7465726e657405010ae1000a271b80802110020200108106c0a8a801" +
			"8306c0a8a801000d04c0a8a801500bf614f7992345e100000456640123"
		m, err := ParseAs[*AttachAccept](unhex(t, full))
		if err != nil {
			t.Fatal(err)
		}
		plmn := PLMN{MCC: "417", MNC: "99"}
		if m.Result != AttachResultCombined || m.T3412 != (GPRSTimer{Unit: TimerUnitMinute, Value: 3}) ||
			!reflect.DeepEqual(m.TAIList, TAIList{{plmn, 12345}}) || *m.GUTI != (GUTI{plmn, 9029, 225, 0x456}) ||
			*m.EPSNetworkFeatureSupport != (EPSNetworkFeatureSupport{IMSVoPS: true, EMCBS: true, ESRPS: true}) {
			t.Fatalf("decoded %+v", m)
		}
		if got := hex.EncodeToString(mustMarshal(t, m)); got != ours {
			t.Fatalf("re-encoded\n %s\nwant\n %s", got, ours)
		}
		esm, err := ParseAs[*ActivateDefaultBearerRequest](m.ESMContainer)
		if err != nil {
			t.Fatal(err)
		}
		dns := esm.PCO.IPv4s(PCODNSServerIPv4)
		if esm.EBI != 5 || esm.QoS.QCI != 9 || esm.APN != "internet" || esm.PDNAddress.IPv4 != netip.MustParseAddr("10.225.0.10") ||
			len(dns) != 1 || dns[0] != netip.MustParseAddr("192.168.168.1") {
			t.Fatalf("inner default bearer request %+v", esm)
		}
		if !bytes.Equal(mustMarshal(t, esm), m.ESMContainer) {
			t.Fatal("inner message does not re-encode to the same octets")
		}
	})
	exact := []struct {
		hex  string
		want Message
	}{
		{"074300035200c2", &AttachComplete{ESMContainer: unhex(t, "5200c2")}},
		{"074411", &AttachReject{Cause: EMMCauseNetworkFailure}},
		{"075501", &IdentityRequest{Type: IdentityIMSI}},
		{"0756080910101032548651", &IdentityResponse{Identity: MobileIdentity{Type: IdentityIMSI, Digits: "001010123456815"}}},
		{"c7a8640c", &ServiceRequest{KSI: 5, SeqNum: 8, ShortMAC: [2]byte{0x64, 0x0c}}},
	}
	for _, c := range exact {
		got, err := Parse(unhex(t, c.hex))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%s) = %+v, %v; want %+v", c.hex, got, err, c.want)
			continue
		}
		if enc := hex.EncodeToString(mustMarshal(t, c.want)); enc != c.hex {
			t.Errorf("Marshal %+v = %s, want %s", c.want, enc, c.hex)
		}
	}
}

// TestParseRejectsTruncated cuts every message short at every length:
// each prefix must fail cleanly, never decode as something else.
func TestParseRejectsTruncated(t *testing.T) {
	for _, c := range roundTripCases(t) {
		b := mustMarshal(t, c.msg)
		for n := 0; n < len(b); n++ {
			m, err := Parse(b[:n])
			if err == nil {
				// A prefix that ends exactly after the mandatory part (or
				// after a whole optional IE) is a valid, shorter message.
				if m.MessageType() != c.msg.MessageType() {
					t.Errorf("%s: prefix %x parsed as %v", c.name, b[:n], m.MessageType())
				}
				continue
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: prefix of %d: error %v matches neither ErrMalformed nor ErrUnsupported", c.name, n, err)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, hex string
		want      error
	}{
		{"empty", "", ErrMalformed},
		{"one octet", "07", ErrMalformed},
		{"unknown PD", "0641", ErrMalformed},
		{"protected", "27000000000107 41", ErrProtected},
		{"partially ciphered header", "57000000000107", ErrUnsupported},
		{"unknown EMM type", "07ff", ErrUnsupported},
		{"ESM type under EMM PD", "07c1", ErrUnsupported},
		{"EMM type under ESM PD", "020141", ErrUnsupported},
		{"short ESM header", "0201", ErrMalformed},
		{"auth request short RAND", "07520123553cbe", ErrMalformed},
		{"auth request AUTN length 15", "07520023553cbe9637a89d218ae64dae47bf350f55f328b43577b9b94a9ffac354dfaf", ErrMalformed},
		{"RES too short", "07530301020 3", ErrMalformed},
		{"identity bad digit", "0756080910101032548a51", ErrMalformed},
		{"identity even without filler", "075603011011", ErrMalformed},
		{"GUTI of 10 octets", "07450a0af600f11000020103000300", ErrMalformed},
		{"TAI list reserved type", "0742012306600000000000 000352 00c2", ErrMalformed},
		{"TAI list past TAC 0xFFFF", "07420123062100f110ffff000352 00c2", ErrMalformed},
		{"EPS QoS of 3 octets", "5201c1 03090000 0908696e7465726e6574 05010a2d0002", ErrMalformed},
		{"PDN address too short for IPv4", "5201c1 0109 0908696e7465726e6574 04010a2d00", ErrMalformed},
		{"APN label overruns", "5201c1 0109 020904 05010a2d0002", ErrMalformed},
		{"PCO container overruns", "5201c2 2705 80000d0501", ErrMalformed},
		{"TFT create without filters", "6201c5 05 0109 0120", ErrMalformed},
		{"TFT unknown component", "6201c5 05 0109 0621 31 0a 02 99 00", ErrMalformed},
		{"TFT non-contiguous mask", "6201c5 05 0109 0d21 31 0a 09 10 0a000001 ff00ff00", ErrMalformed},
		{"optional IE overruns", "07530408090a0b 30 0e 0102", ErrMalformed},
		{"service request trailing", "c7a8640c00", ErrMalformed},
		{"network name bad 7-bit length", "0761 43 03 81 ab cd", ErrMalformed},
		{"time that does not exist", "0761 47 02 13 13 00 00 00 00", ErrMalformed},
	}
	for _, c := range cases {
		_, err := Parse(unhex(t, c.hex))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Parse(%s) err = %v, want %v", c.name, c.hex, err, c.want)
		}
	}
	var de *DecodeError
	_, err := Parse(unhex(t, "07520123553cbe"))
	if !errors.As(err, &de) || de.Message != "Authentication Request" || de.Field != "RAND" || !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated RAND: %#v", err)
	}
}

func TestMarshalErrors(t *testing.T) {
	cases := []struct {
		name string
		msg  Message
	}{
		{"KSI 8", &AuthenticationRequest{KSI: KSI{Value: 8}}},
		{"short RES", &AuthenticationResponse{RES: []byte{1, 2, 3}}},
		{"IMSI with a letter", &AttachRequest{Identity: IMSIIdentity("00101000000000x"), UENetworkCapability: testUECap, ESMContainer: []byte{2, 1, 0xd0}}},
		{"IMSI too short", &DetachRequest{Identity: IMSIIdentity("00101")}},
		{"bad PLMN", &DetachRequest{Identity: GUTIIdentity(GUTI{PLMN: PLMN{MCC: "01", MNC: "01"}})}},
		{"missing ESM container", &AttachComplete{}},
		{"empty TAI list", &AttachAccept{Result: 1, ESMContainer: []byte{0x52, 1, 0xc1}}},
		{"17 TAIs", &AttachAccept{Result: 1, TAIList: make(TAIList, 17), ESMContainer: []byte{0x52, 1, 0xc1}}},
		{"timer value 32", &AttachAccept{T3412: GPRSTimer{Value: 32}}},
		{"EBI 16", &ESMStatus{ESMHeader: ESMHeader{EBI: 16}}},
		{"APN with empty label", &ESMInformationResponse{APN: "a..b"}},
		{"default bearer no PDN address", &ActivateDefaultBearerRequest{APN: "internet", PDNAddress: PDNAddress{Type: PDNTypeIPv4}}},
		{"IMEISV of 15 digits", &SecurityModeComplete{IMEISV: "353490069873319"}},
		{"EEA8", &SecurityModeCommand{EncAlg: 8}},
		{"TFT delete with filters", &ActivateDedicatedBearerRequest{QoS: EPSQoS{QCI: 1}, TFT: TFT{Op: TFTDeleteFilters, Filters: testTFT().Filters}}},
		{"TFT reversed ports", &ActivateDedicatedBearerRequest{QoS: EPSQoS{QCI: 1}, TFT: TFT{Op: TFTCreate,
			Filters: []PacketFilter{{RemotePorts: &PortRange{Low: 9, High: 1}}}}}},
		{"service request seq 32", &ServiceRequest{SeqNum: 32}},
		{"PCO too long", &ESMInformationResponse{PCO: &PCO{Containers: []PCOContainer{{ID: 1, Contents: make([]byte, 250)}}}}},
	}
	for _, c := range cases {
		if _, err := c.msg.Marshal(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Marshal err = %v, want ErrInvalid", c.name, err)
		}
	}
}

// TestSkipsUnknownOptionalIEs: IEs this package does not model, of every
// format (type 1, TV it knows the length of, TLV, TLV-E), are skipped and
// the ones around them still read; a repeated IE keeps its first value.
func TestSkipsUnknownOptionalIEs(t *testing.T) {
	b := mustMarshal(t, &TAUAccept{Result: UpdateResultTA})
	b = append(b, 0x5A, 0x49) // T3412
	b = append(b, 0xF1)       // additional update result (type 1)
	b = append(b, 0x13, 0x00, 0xf1, 0x10, 0xff, 0xfd)
	b = append(b, 0x4A, 0x03, 0x00, 0xf1, 0x10) // equivalent PLMNs (TLV)
	b = append(b, 0x7B, 0x00, 0x02, 0xAA, 0xBB) // a TLV-E
	b = append(b, 0x5A, 0x21)                   // repeated T3412: ignored
	b = append(b, 0x53, 0x16)                   // EMM cause
	m, err := ParseAs[*TAUAccept](b)
	if err != nil {
		t.Fatal(err)
	}
	if m.T3412 == nil || *m.T3412 != (GPRSTimer{Unit: TimerUnitDecihour, Value: 9}) || m.EMMCause == nil || *m.EMMCause != EMMCauseCongestion {
		t.Fatalf("decoded %+v", m)
	}
}

func TestDetachRequestDirection(t *testing.T) {
	ue := mustMarshal(t, &DetachRequest{Type: DetachEPS, KSI: KSI{Value: 1}, Identity: GUTIIdentity(testGUTI)})
	nw := mustMarshal(t, &NetworkDetachRequest{Type: DetachReattachRequired, Cause: ptr(EMMCauseImplicitlyDetached)})
	if _, err := ParseAs[*DetachRequest](ue); err != nil {
		t.Errorf("UE form: %v", err)
	}
	if _, err := ParseAs[*NetworkDetachRequest](nw); err != nil {
		t.Errorf("network form: %v", err)
	}
	if _, err := ParseAs[*DetachRequest](nw); !errors.Is(err, ErrUnsupported) {
		t.Errorf("network form as UE form: %v", err)
	}
}

func TestPeekType(t *testing.T) {
	for _, c := range roundTripCases(t) {
		b := mustMarshal(t, c.msg)
		pd, mt, err := PeekType(b)
		if err != nil || mt != c.msg.MessageType() || (pd != PDEMM && pd != PDESM) {
			t.Errorf("%s: PeekType = %x, %v, %v", c.name, pd, mt, err)
		}
	}
	if _, _, err := PeekType([]byte{0x27, 0, 0, 0, 0, 0, 7, 0x41}); !errors.Is(err, ErrProtected) {
		t.Errorf("protected: %v", err)
	}
}
