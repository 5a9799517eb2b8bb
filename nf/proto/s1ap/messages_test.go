package s1ap

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/corebox/corebox/nf/proto/sctp"
)

func TestMessageRoundTrip(t *testing.T) {
	for name, msg := range roundTripCases() {
		t.Run(name, func(t *testing.T) {
			b := mustEncode(t, msg)
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			if !reflect.DeepEqual(got, msg) {
				t.Fatalf("round trip changed the message\n got  %+v\n want %+v", got, msg)
			}
			if again := mustEncode(t, got); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs:\n %x\n %x", again, b)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	for name, msg := range roundTripCases() {
		info, err := Classify(mustEncode(t, msg))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := Info{ProcedureCode: msg.ProcedureCode(), Kind: msg.Kind(), Name: messageName(msg.ProcedureCode(), msg.Kind())}
		switch m := msg.(type) {
		case *S1SetupRequest, *S1SetupResponse, *S1SetupFailure, *Paging:
		case *InitialUEMessage:
			want.ENBUES1APID, want.HasENBUES1APID = m.ENBUES1APID, true
		case *UEContextReleaseCommand:
			want.MMEUES1APID, want.HasMMEUES1APID = m.MMEUES1APID, true
			want.ENBUES1APID, want.HasENBUES1APID = m.ENBUES1APID, !m.MMEIDOnly
		case *ErrorIndication:
			if m.MMEUES1APID != nil {
				want.MMEUES1APID, want.HasMMEUES1APID = *m.MMEUES1APID, true
			}
			if m.ENBUES1APID != nil {
				want.ENBUES1APID, want.HasENBUES1APID = *m.ENBUES1APID, true
			}
		default:
			u := reflect.ValueOf(msg).Elem().FieldByName("UEIDs").Interface().(UEIDs)
			want.MMEUES1APID, want.HasMMEUES1APID = u.MMEUES1APID, true
			want.ENBUES1APID, want.HasENBUES1APID = u.ENBUES1APID, true
		}
		if info != want {
			t.Errorf("%s: %+v, want %+v", name, info, want)
		}
	}
}

func TestClassifyNames(t *testing.T) {
	for _, tc := range []struct {
		proc ProcedureCode
		kind PDUKind
		want string
	}{
		{ProcInitialUEMessage, InitiatingMessage, "InitialUEMessage"},
		{ProcInitialContextSetup, UnsuccessfulOutcome, "InitialContextSetupFailure"},
		{ProcUEContextRelease, SuccessfulOutcome, "UEContextReleaseComplete"},
		{14, SuccessfulOutcome, "ResetAcknowledge"},
		{66, InitiatingMessage, "MMEEarlyStatusTransfer"},
		{ProcPaging, SuccessfulOutcome, "procedure 10 successfulOutcome"},
		{200, InitiatingMessage, "procedure 200 initiatingMessage"},
	} {
		if got := messageName(tc.proc, tc.kind); got != tc.want {
			t.Errorf("%d %v: %q, want %q", tc.proc, tc.kind, got, tc.want)
		}
	}
}

// A message we have no typed view for still classifies: a Reset
// (procedure 14) with a Cause and an all-interfaces ResetType.
func TestClassifyUnsupported(t *testing.T) {
	msg := &S1SetupFailure{Cause: CauseOMIntervention}
	var s ies
	s.add(idCause, critIgnore, causeIE(msg.Cause))
	s.add(92, critReject, func(w *writer) { w.choice(0, 2, true); w.enum(0, 1, 0, true) })
	w := newWriter()
	w.choice(int(InitiatingMessage), 3, true)
	w.integer(14, 0, 255, false)
	w.enum(uint64(critReject), 3, 0, false)
	w.open(func(v *writer) { v.seq(true); writeContainer(v, s) })
	if w.err != nil {
		t.Fatal(w.err)
	}
	info, err := Classify(w.bytes())
	if err != nil || info.Name != "Reset" || info.UEAssociated() {
		t.Fatalf("Reset classified as %+v, %v", info, err)
	}
	if _, err := Decode(w.bytes()); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Reset decoded: %v", err)
	}
}

func TestClassifyKeepsHeaderOfBadBody(t *testing.T) {
	b := mustEncode(t, &DownlinkNASTransport{UEIDs: ids, NASPDU: nasAuthRequest})
	info, err := Classify(b[:12])
	if err == nil {
		t.Fatal("truncated PDU classified without error")
	}
	if info.ProcedureCode != ProcDownlinkNASTransport || info.Kind != InitiatingMessage || info.UEAssociated() {
		t.Fatalf("header %+v", info)
	}
	// A PDU whose header does not read says nothing.
	if info, err := Classify([]byte{0x80, 0x0c, 0x40, 0x01, 0x00}); err == nil || info != (Info{}) {
		t.Fatalf("extension PDU choice: %+v, %v", info, err)
	}
}

// The S1 Setup Request of a real home eNB ("JLT-621"), as open5gs keeps
// it among its tests: our encoder must produce the same octets.
func TestS1SetupRequestKnownBytes(t *testing.T) {
	real := mustHex("0011002d000004" +
		"003b0009" + "0000f110" + "4054f64010" + // Global-ENB-ID: 001-01, home eNB 0x54f6401
		"003c4009" + "0300" + "4a4c542d363231" + // eNBname "JLT-621"
		"00400007" + "000c0e40" + "00f110" + // SupportedTAs: TAC 12345, PLMN 001-01
		"0089400100") // DefaultPagingDRX v32
	msg := &S1SetupRequest{
		GlobalENBID:  GlobalENBID{PLMN: plmn, Kind: HomeENB, ID: 0x54f6401},
		ENBName:      "JLT-621",
		SupportedTAs: []SupportedTA{{TAC: 12345, PLMNs: []PLMN{plmn}}},
	}
	got, err := ParseS1SetupRequest(real)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !reflect.DeepEqual(got, msg) {
		t.Fatalf("decoded %+v, want %+v", got, msg)
	}
	if b := mustEncode(t, msg); !bytes.Equal(b, real) {
		t.Fatalf("encoded\n %x, want\n %x", b, real)
	}
}

func TestPLMNLayout(t *testing.T) {
	for _, tc := range []struct {
		p    PLMN
		want string
	}{
		{PLMN{MCC: "001", MNC: "01"}, "00f110"},
		{PLMN{MCC: "310", MNC: "410"}, "134001"},
		{PLMN{MCC: "208", MNC: "93"}, "02f839"},
	} {
		b, err := plmnBytes(tc.p)
		if err != nil || hex.EncodeToString(b) != tc.want {
			t.Errorf("%v: %x %v, want %s", tc.p, b, err, tc.want)
		}
		back, err := plmnFromBytes(b)
		if err != nil || back != tc.p {
			t.Errorf("%s decodes to %v %v", tc.want, back, err)
		}
	}
	for _, bad := range []string{"0af110", "00f1f0", "00ff10"} {
		if p, err := plmnFromBytes(mustHex(bad)); err == nil {
			t.Errorf("%s decoded to %v", bad, p)
		}
	}
}

func TestIMSILayout(t *testing.T) {
	for imsi, want := range map[string]string{"001010000000001": "00010100000000f1", "310410123456": "134001214365"} {
		b, err := imsiBytes(imsi)
		if err != nil || hex.EncodeToString(b) != want {
			t.Errorf("%s: %x %v", imsi, b, err)
		}
		if back, err := imsiFromBytes(b); err != nil || back != imsi {
			t.Errorf("%x decodes to %s %v", b, back, err)
		}
	}
}

func TestUEIdentityIndex(t *testing.T) {
	for imsi, want := range map[string]uint16{"001010000000001": 1, "310410123456789": 310410123456789 % 1024, "999999": 999999 % 1024} {
		if got, err := UEIdentityIndex(imsi); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", imsi, got, err, want)
		}
	}
	if _, err := UEIdentityIndex("12345a"); err == nil {
		t.Error("non-digit IMSI accepted")
	}
}

// nf/proto/sctp carries S1AP; both must name the same PPID and port.
func TestSCTPConstants(t *testing.T) {
	if SCTPPPID != sctp.PPIDS1AP || SCTPPort != sctp.S1APPort {
		t.Fatalf("s1ap PPID %d port %d, sctp says %d %d", SCTPPPID, SCTPPort, sctp.PPIDS1AP, sctp.S1APPort)
	}
}

func TestEncodeRejectsBadInput(t *testing.T) {
	ta := []SupportedTA{{TAC: 1, PLMNs: []PLMN{plmn}}}
	erab := ERABToSetup{ID: 5, QoS: qos9, Tunnel: sgw, NASPDU: nasActivateDedicated}
	bad := map[string]Message{
		"macro ID 21 bits":      &S1SetupRequest{GlobalENBID: GlobalENBID{PLMN: plmn, ID: 1 << 20}, SupportedTAs: ta},
		"eNB ID kind":           &S1SetupRequest{GlobalENBID: GlobalENBID{PLMN: plmn, Kind: 4}, SupportedTAs: ta},
		"bad PLMN":              &S1SetupRequest{GlobalENBID: GlobalENBID{PLMN: PLMN{MCC: "01", MNC: "01"}}, SupportedTAs: ta},
		"no TAs":                &S1SetupRequest{GlobalENBID: GlobalENBID{PLMN: plmn}},
		"seven PLMNs":           &S1SetupRequest{GlobalENBID: GlobalENBID{PLMN: plmn}, SupportedTAs: []SupportedTA{{PLMNs: make([]PLMN, 7)}}},
		"name not printable":    &S1SetupRequest{GlobalENBID: GlobalENBID{PLMN: plmn}, ENBName: "enb_1", SupportedTAs: ta},
		"paging DRX":            &S1SetupRequest{GlobalENBID: GlobalENBID{PLMN: plmn}, SupportedTAs: ta, DefaultPagingDRX: 4},
		"no GUMMEIs":            &S1SetupResponse{MMEName: "mme"},
		"GUMMEI without codes":  &S1SetupResponse{ServedGUMMEIs: []ServedGUMMEI{{PLMNs: []PLMN{plmn}, GroupIDs: []uint16{1}}}},
		"bad time to wait":      &S1SetupFailure{Cause: CauseUnknownPLMN, TimeToWait: 3},
		"bad cause group":       &S1SetupFailure{Cause: Cause{Group: 5}},
		"cause past extensions": &S1SetupFailure{Cause: Cause{Group: CauseRadioNetwork, Value: 44}},
		"cause transport 2":     &S1SetupFailure{Cause: Cause{Group: CauseTransport, Value: 2}},
		"eNB UE ID 25 bits":     &DownlinkNASTransport{UEIDs: UEIDs{ENBUES1APID: 1 << 24}, NASPDU: nasAuthRequest},
		"no NAS PDU":            &DownlinkNASTransport{UEIDs: ids},
		"cell ID 29 bits":       &InitialUEMessage{NASPDU: nasAttachRequest, TAI: tai1, ECGI: ECGI{PLMN: plmn, CellID: 1 << 28}},
		"RRC cause":             &InitialUEMessage{NASPDU: nasAttachRequest, TAI: tai1, ECGI: ecgi1, RRCCause: 8},
		"no E-RABs":             &InitialContextSetupRequest{UEIDs: ids},
		"E-RAB ID 16":           &InitialContextSetupRequest{UEIDs: ids, ERABs: []ERABToSetup{{ID: 16, QoS: qos9, Tunnel: sgw}}},
		"no tunnel address":     &InitialContextSetupRequest{UEIDs: ids, ERABs: []ERABToSetup{{ID: 5, QoS: qos9}}},
		"IPv6 without IPv4":     &InitialContextSetupRequest{UEIDs: ids, ERABs: []ERABToSetup{{ID: 5, QoS: qos9, Tunnel: GTPTunnel{IPv6: sgw6.Addr}}}},
		"priority 16":           &InitialContextSetupRequest{UEIDs: ids, ERABs: []ERABToSetup{{ID: 5, QoS: QoS{ARP: ARP{PriorityLevel: 16}}, Tunnel: sgw}}},
		"AMBR over 10G":         &InitialContextSetupRequest{UEIDs: ids, UEAMBR: AMBR{DL: MaxBitRate + 1}, ERABs: []ERABToSetup{erab}},
		"GBR over 10G":          &ERABSetupRequest{UEIDs: ids, ERABs: []ERABToSetup{{ID: 5, QoS: QoS{GBR: &GBR{MaxUL: MaxBitRate + 1}}, Tunnel: sgw, NASPDU: nasActivateDedicated}}},
		"E-RAB w/o NAS PDU":     &ERABSetupRequest{UEIDs: ids, ERABs: []ERABToSetup{{ID: 5, QoS: qos9, Tunnel: sgw}}},
		"257 E-RABs":            &ERABSetupRequest{UEIDs: ids, ERABs: make([]ERABToSetup, 257)},
		"ICS response bare":     &InitialContextSetupResponse{UEIDs: ids},
		"release nothing":       &ERABReleaseCommand{UEIDs: ids},
		"MME-only with eNB ID":  &UEContextReleaseCommand{UEIDs: ids, MMEIDOnly: true},
		"paging no identity":    &Paging{TAIs: []TAI{tai1}},
		"paging both":           &Paging{STMSI: &stmsi, IMSI: "001010000000001", TAIs: []TAI{tai1}},
		"paging short IMSI":     &Paging{IMSI: "00101", TAIs: []TAI{tai1}},
		"paging index 1024":     &Paging{UEIdentityIndex: 1024, STMSI: &stmsi, TAIs: []TAI{tai1}},
		"paging no TAIs":        &Paging{STMSI: &stmsi},
		"paging CN domain":      &Paging{STMSI: &stmsi, CNDomain: 2, TAIs: []TAI{tai1}},
	}
	for name, m := range bad {
		if b, err := m.Encode(); err == nil {
			t.Errorf("%s: encoded to %x, want an error", name, b)
		}
	}
}

func TestDecodeRejectsTruncated(t *testing.T) {
	for name, msg := range roundTripCases() {
		b := mustEncode(t, msg)
		for n := 0; n < len(b); n++ {
			if _, err := Decode(b[:n]); err == nil {
				t.Errorf("%s: %d of %d octets decoded", name, n, len(b))
				break
			}
		}
	}
}

func TestDecodeRejectsMissingIE(t *testing.T) {
	var s ies
	s.addIDs(ids, critReject) // a Downlink NAS Transport without its NAS-PDU
	b, err := encodePDU(&DownlinkNASTransport{}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("decoded without NAS-PDU: %v", err)
	}
	s.add(idNASPDU, critReject, nasPDU(nasAuthRequest))
	s.add(idNASPDU, critReject, nasPDU(nasAuthRequest))
	if b, err = encodePDU(&DownlinkNASTransport{}, s); err != nil {
		t.Fatal(err)
	}
	if _, err := Classify(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("classified with a NAS-PDU twice: %v", err)
	}
}

func TestParseChecksType(t *testing.T) {
	b := mustEncode(t, &UEContextReleaseComplete{UEIDs: ids})
	if _, err := ParseUEContextReleaseCommand(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Release Complete parsed as Command: %v", err)
	}
	if m, err := ParseUEContextReleaseComplete(b); err != nil || m.UEIDs != ids {
		t.Fatalf("Release Complete: %+v %v", m, err)
	}
}

// A peer of a later release may send what we do not know: IEs,
// iE-Extensions and SEQUENCE extension additions. Decoding skips them.
func TestDecodeSkipsExtensions(t *testing.T) {
	want := &InitialUEMessage{ENBUES1APID: 9, NASPDU: nasAttachRequest, TAI: tai1, ECGI: ecgi1, RRCCause: RRCMOData}
	extField := func(w *writer) { // one ProtocolExtensionField
		w.seqOf(1, 1, 65535)
		w.seq(false)
		w.integer(9999, 0, 65535, false)
		w.enum(uint64(critIgnore), 3, 0, false)
		w.open(func(v *writer) { v.octets([]byte("future"), 0, unbounded, false) })
	}
	var s ies
	s.add(idENBUES1APID, critReject, enbUEID(want.ENBUES1APID))
	s.add(idNASPDU, critReject, nasPDU(want.NASPDU))
	s.add(idTAI, critReject, func(w *writer) { // with iE-Extensions
		w.seq(true, true)
		w.plmn(tai1.PLMN)
		w.octets([]byte{0, 1}, 2, 2, false)
		extField(w)
	})
	s.add(idEUTRANCGI, critIgnore, func(w *writer) { // with an extension addition
		w.pd.WriteExtensible(true)
		w.seq(false, false)
		w.plmn(ecgi1.PLMN)
		w.uintBits(uint64(ecgi1.CellID), 28)
		if err := w.pd.WriteLength(true, 1, nil, nil); err != nil {
			w.err = err
		}
		w.integer(1, 0, 1, false) // the one addition is present
		w.open(func(v *writer) { v.octets([]byte{0xAB}, 1, 1, false) })
	})
	s.add(idRRCEstablishmentCause, critIgnore, func(w *writer) { w.enum(uint64(RRCMOData), 5, 3, true) })
	s.add(170, critIgnore, func(w *writer) { w.enum(0, 2, 1, true) }) // GUMMEIType, unknown to us
	b, err := encodePDU(want, s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseInitialUEMessage(b)
	if err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestTunnelForms(t *testing.T) {
	for _, tun := range []GTPTunnel{sgw, sgw6, sgwDS} {
		w := newWriter()
		w.transportAddress(tun)
		r := newReader(w.bytes())
		back := r.transportAddress()
		back.TEID = tun.TEID
		if w.err != nil || r.err != nil || back != tun {
			t.Errorf("%+v came back %+v (%v, %v)", tun, back, w.err, r.err)
		}
	}
	w := newWriter()
	w.transportAddress(GTPTunnel{Addr: netip.MustParseAddr("::ffff:10.0.0.1")})
	if w.err == nil {
		t.Error("IPv4-mapped IPv6 tunnel address encoded")
	}
}

// No input we found makes the decoder panic, but nothing in free5gc's
// aper package promises that: guard is our net, checked here.
func TestGuardRecoversAndCounts(t *testing.T) {
	before := DecoderPanics()
	err := guard(func() error { panic("boom") })
	if !errors.Is(err, ErrDecoderPanic) || DecoderPanics() != before+1 {
		t.Fatalf("guard: %v, panics %d (was %d)", err, DecoderPanics(), before)
	}
	if err := guard(func() error { return nil }); err != nil {
		t.Fatalf("guard of a clean step: %v", err)
	}
}
