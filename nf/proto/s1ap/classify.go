package s1ap

import "fmt"

// Info is what an MME or eNB needs to dispatch an S1AP PDU.
type Info struct {
	ProcedureCode ProcedureCode
	Kind          PDUKind
	Name          string // the message name, e.g. "InitialUEMessage"
	// UE S1AP IDs, when the message carries them.
	MMEUES1APID    uint32
	HasMMEUES1APID bool
	ENBUES1APID    uint32
	HasENBUES1APID bool
}

// UEAssociated reports whether the PDU names a UE.
func (i Info) UEAssociated() bool { return i.HasMMEUES1APID || i.HasENBUES1APID }

// Classify reads the procedure code and kind of any S1AP PDU, and its UE
// S1AP IDs from the MME-UE-S1AP-ID, eNB-UE-S1AP-ID and UE-S1AP-IDs IEs
// (those of them the message defines, when it is one of ours), decoding no
// other IE. When the header reads but the IEs do not, it
// returns the header with the error, so the caller can still answer with
// an Error Indication.
func Classify(b []byte) (Info, error) {
	var info Info
	err := guard(func() error {
		h, val, err := readHeader(b)
		if h.valid {
			info = Info{ProcedureCode: h.proc, Kind: h.kind, Name: messageName(h.proc, h.kind)}
		}
		if err != nil {
			return err
		}
		list, err := readContainer(val)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrMalformed, info.Name, err)
		}
		// Read the ID IEs the message defines: others are ignored, as
		// Decode ignores them.
		want, known := messageUEIDs[msgKey{h.proc, h.kind}]
		if !known {
			want = ueIDsAny
		}
		s := &ieSet{list: list}
		if want&hasMMEUEID != 0 {
			s.opt(idMMEUES1APID, func(r *reader) { info.MMEUES1APID, info.HasMMEUES1APID = r.mmeUEID(), true })
		}
		if want&hasENBUEID != 0 {
			s.opt(idENBUES1APID, func(r *reader) { info.ENBUES1APID, info.HasENBUES1APID = r.enbUEID(), true })
		}
		if want&hasUES1APIDs != 0 {
			s.opt(idUES1APIDs, func(r *reader) {
				u, mmeOnly := r.ueS1APIDs()
				info.MMEUES1APID, info.HasMMEUES1APID = u.MMEUES1APID, true
				info.ENBUES1APID, info.HasENBUES1APID = u.ENBUES1APID, !mmeOnly
			})
		}
		if s.err != nil {
			return fmt.Errorf("%w: %s: %w", ErrMalformed, info.Name, s.err)
		}
		return nil
	})
	if err != nil {
		// Only the header is trustworthy.
		info.MMEUES1APID, info.HasMMEUES1APID = 0, false
		info.ENBUES1APID, info.HasENBUES1APID = 0, false
	}
	return info, err
}
