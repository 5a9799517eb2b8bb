package enb

import (
	"bytes"
	"testing"
	"time"

	"github.com/corebox/corebox/nf/proto/naseps"
	"github.com/corebox/corebox/nf/proto/s1ap"
)

func TestSplitConnect(t *testing.T) {
	s := s1ap.STMSI{MMEC: 0x12, MTMSI: 0x3456789A}
	nas := []byte{0x07, 0x41, 0x71}
	for name, tc := range map[string]struct {
		body    []byte
		stmsi   *s1ap.STMSI
		nas     []byte
		wantErr bool
	}{
		"nas only":     {body: nas, nas: nas},
		"with s-tmsi":  {body: withSTMSI(s, nas), stmsi: &s, nas: nas},
		"prefix alone": {body: withSTMSI(s, nil), wantErr: true},
		"cut prefix":   {body: []byte{0, 0x12, 0x34}, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			stmsi, got, err := splitConnect(tc.body)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v", err)
			}
			if !bytes.Equal(got, tc.nas) || (stmsi == nil) != (tc.stmsi == nil) || (stmsi != nil && *stmsi != *tc.stmsi) {
				t.Errorf("got %+v %x", stmsi, got)
			}
		})
	}
	if b := stmsiBody(s); !bytes.Equal(b[:], []byte{0, 0x12, 0x34, 0x56, 0x78, 0x9A}) {
		t.Errorf("radio s-tmsi %x", b)
	}
}

func TestEstablishmentCause(t *testing.T) {
	protected := func(plain []byte) []byte {
		sc := &naseps.SecurityContext{IntAlg: naseps.EIA2, EncAlg: naseps.EEA2, Direction: naseps.Uplink}
		pdu, err := sc.Protect(plain, naseps.IntegrityProtected)
		if err != nil {
			t.Fatal(err)
		}
		return pdu
	}
	for name, tc := range map[string]struct {
		pdu   []byte
		paged bool
		want  s1ap.RRCEstablishmentCause
	}{
		"attach":                       {attachRequestPDU(t, naseps.AttachEPS), false, s1ap.RRCMOSignalling},
		"emergency attach":             {attachRequestPDU(t, naseps.AttachEPSEmergency), false, s1ap.RRCEmergency},
		"protected emergency attach":   {protected(attachRequestPDU(t, naseps.AttachEPSEmergency)), false, s1ap.RRCEmergency},
		"service request":              {serviceRequestPDU(t), false, s1ap.RRCMOData},
		"service request after paging": {serviceRequestPDU(t), true, s1ap.RRCMTAccess},
		"garbage":                      {[]byte{0xff}, false, s1ap.RRCMOSignalling},
		"empty":                        {nil, false, s1ap.RRCMOSignalling},
	} {
		if got := establishmentCause(tc.pdu, tc.paged); got != tc.want {
			t.Errorf("%s: cause %d, want %d", name, got, tc.want)
		}
	}
}

func TestPagedSet(t *testing.T) {
	now := time.Unix(1000, 0)
	p := newPagedSet()
	p.now = func() time.Time { return now }
	a, b := s1ap.STMSI{MMEC: 1, MTMSI: 1}, s1ap.STMSI{MMEC: 1, MTMSI: 2}
	if err := p.add(a); err != nil {
		t.Fatal(err)
	}
	if err := p.add(b); err != nil {
		t.Fatal(err)
	}
	if !p.recently(a) || p.recently(a) {
		t.Error("a page answers once")
	}
	now = now.Add(pagedWindow + time.Second)
	if p.recently(b) {
		t.Error("an old page still counts")
	}
	for i := range uint32(maxPaged) {
		if err := p.add(s1ap.STMSI{MTMSI: i}); err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
	}
	if err := p.add(s1ap.STMSI{MMEC: 9}); err == nil {
		t.Error("set grew past its bound")
	}
	now = now.Add(pagedWindow + time.Second)
	if err := p.add(s1ap.STMSI{MMEC: 9}); err != nil {
		t.Errorf("expired pages not forgotten: %v", err)
	}
}
