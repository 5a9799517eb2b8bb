package gtpgen

// seqWindow is how far back (in packets of one session) a late packet is
// still checked for being a duplicate.
const (
	seqWindow      = 512
	seqWindowWords = seqWindow / 64
)

// seqTrack follows one session's sequence numbers in one direction: the
// next expected one, and which of the last seqWindow were seen.
type seqTrack struct {
	next uint64
	seen [seqWindowWords]uint64
}

func (t *seqTrack) bit(seq uint64) (*uint64, uint64) {
	i := seq % seqWindow
	return &t.seen[i/64], 1 << (i % 64)
}

// observe records seq. A duplicate is not a new packet; an out-of-order
// one is new but came after a later one. Packets older than the window
// cannot be checked and count as new, out of order.
func (t *seqTrack) observe(seq uint64) (duplicate, outOfOrder bool) {
	if seq >= t.next {
		if seq-t.next >= seqWindow {
			clear(t.seen[:])
		} else {
			for s := t.next; s < seq; s++ {
				w, b := t.bit(s)
				*w &^= b
			}
		}
		w, b := t.bit(seq)
		*w |= b
		t.next = seq + 1
		return false, false
	}
	if t.next-seq > seqWindow {
		return false, true
	}
	w, b := t.bit(seq)
	if *w&b != 0 {
		return true, false
	}
	*w |= b
	return false, true
}
