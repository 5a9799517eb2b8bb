package s1ap

// ERABToSetup is an E-RAB the MME asks the eNB to set up: its QoS, the
// S-GW's uplink tunnel, and the NAS PDU for the UE (optional in Initial
// Context Setup, mandatory in E-RAB Setup).
type ERABToSetup struct {
	ID     uint8
	QoS    QoS
	Tunnel GTPTunnel
	NASPDU []byte
}

// writeToSetup writes E-RABToBeSetupItemCtxtSUReq (nasOptional) or
// E-RABToBeSetupItemBearerSUReq.
func writeToSetup(w *writer, e ERABToSetup, nasOptional bool) {
	if nasOptional {
		w.seq(true, len(e.NASPDU) > 0, false)
	} else {
		w.seq(true, false)
	}
	w.erabID(e.ID)
	w.qos(e.QoS)
	w.transportAddress(e.Tunnel)
	w.teid(e.Tunnel.TEID)
	if !nasOptional || len(e.NASPDU) > 0 {
		nasPDU(e.NASPDU)(w)
	}
}

func readToSetup(r *reader, nasOptional bool) ERABToSetup {
	nopt := 1
	if nasOptional {
		nopt = 2
	}
	h := r.seq(true, nopt)
	e := ERABToSetup{ID: r.erabID(), QoS: r.qos()}
	e.Tunnel = r.transportAddress()
	e.Tunnel.TEID = r.teid()
	if r.err == nil && (!nasOptional || h.present[0]) {
		e.NASPDU = r.nasPDU()
	}
	r.tail(h)
	return e
}

// ERABSetupItem is an E-RAB the eNB set up, with its downlink tunnel.
type ERABSetupItem struct {
	ID     uint8
	Tunnel GTPTunnel
}

func writeSetupItem(w *writer, e ERABSetupItem) {
	w.seq(true, false)
	w.erabID(e.ID)
	w.transportAddress(e.Tunnel)
	w.teid(e.Tunnel.TEID)
}

func readSetupItem(r *reader) ERABSetupItem {
	h := r.seq(true, 1)
	e := ERABSetupItem{ID: r.erabID()}
	e.Tunnel = r.transportAddress()
	e.Tunnel.TEID = r.teid()
	r.tail(h)
	return e
}

// ERABItem is an E-RAB with a cause: an E-RAB to release, or one that
// failed (the E-RABList of TS 36.413 9.2.1.36).
type ERABItem struct {
	ID    uint8
	Cause Cause
}

func writeERABItem(w *writer, e ERABItem) {
	w.seq(true, false)
	w.erabID(e.ID)
	w.cause(e.Cause)
}

func readERABItem(r *reader) ERABItem {
	h := r.seq(true, 1)
	e := ERABItem{ID: r.erabID(), Cause: r.cause()}
	r.tail(h)
	return e
}

// erabList is the E-RABList IE value.
func erabList(items []ERABItem) func(*writer) {
	return listOf(items, idERABItem, critIgnore, writeERABItem)
}

func (r *reader) erabList() []ERABItem { return readList(r, idERABItem, readERABItem) }
