package rtp

import (
	"time"

	"github.com/corebox/corebox/labs/simapi"
)

// RFC 3550 A.1 limits: a forward jump up to maxDropout is a gap (loss), a
// backward step up to maxMisorder is a late or duplicate packet, anything
// else is a jump that must be confirmed by the next packet.
const (
	maxDropout  = 3000
	maxMisorder = 100
	seqMod      = 1 << 16
	// seenWindow is how far back duplicates are recognised; it must exceed
	// maxMisorder, since older packets are dropped before the check.
	seenWindow = 1024
)

// Counts are what a Receiver dropped or set aside; simapi.RTPStats has no
// room for them.
type Counts struct {
	Malformed  int // not RTP (only Stream counts these)
	OtherSSRC  int // from an SSRC other than the first one seen
	Duplicates int // a sequence number already received
	Jumps      int // unconfirmed sequence jumps, dropped (RFC 3550 A.1)
}

// Receiver accumulates one incoming stream: RFC 3550 A.1 sequence
// tracking (extended to 64 bits, so wrap-around is plain arithmetic) and
// A.8 interarrival jitter. It is not safe for concurrent use.
type Receiver struct {
	started    bool
	ssrc       uint32
	baseExt    int64 // lowest extended sequence number of this run
	maxExt     int64 // highest extended sequence number of this run
	priorExp   int64 // expected packets of runs before a resync
	badSeq     int   // A.1 bad_seq: the number that confirms a jump, or -1
	received   int
	seen       [seenWindow / 64]uint64
	lastTS     uint32
	lastArrive time.Time
	jitter     float64 // timestamp units
	counts     Counts
	netDelay   time.Duration
}

// NewReceiver returns a Receiver waiting for its first packet.
func NewReceiver() *Receiver { return &Receiver{badSeq: -1} }

// SetNetworkDelay sets the one-way network delay the MOS estimate assumes
// (default 0: a receiver alone cannot measure it).
func (r *Receiver) SetNetworkDelay(d time.Duration) { r.netDelay = d }

// Counts returns what was set aside so far.
func (r *Receiver) Counts() Counts { return r.counts }

// Add accounts for packet p, which arrived at arrival.
func (r *Receiver) Add(p *Packet, arrival time.Time) {
	if !r.started {
		r.started, r.ssrc = true, p.SSRC
		r.restart(p.Seq)
		r.accept(p, arrival, true)
		return
	}
	if p.SSRC != r.ssrc {
		r.counts.OtherSSRC++
		return
	}
	maxSeq := uint16(r.maxExt)
	udelta := p.Seq - maxSeq
	switch {
	case udelta == 0:
		r.counts.Duplicates++
		return
	case udelta < maxDropout:
		r.advance(r.maxExt + int64(udelta))
	case udelta <= seqMod-maxMisorder:
		// A big jump: believe it only if the next packet follows on
		// (the sender restarted its sequence).
		if int(p.Seq) != r.badSeq {
			r.badSeq = int(p.Seq+1) % seqMod
			r.counts.Jumps++
			return
		}
		r.priorExp += r.maxExt - r.baseExt + 1
		r.restart(p.Seq)
		r.badSeq = -1
		r.accept(p, arrival, true) // its timestamps restarted too
		return
	default:
		ext := r.maxExt - int64(maxSeq-p.Seq)
		if r.isSeen(ext) {
			r.counts.Duplicates++
			return
		}
		r.mark(ext)
		r.baseExt = min(r.baseExt, ext) // the first packet may have come late
	}
	r.badSeq = -1
	r.accept(p, arrival, false)
}

// restart begins a new run of sequence numbers at seq. Extended numbers
// start one cycle up so late packets from before a wrap stay positive.
func (r *Receiver) restart(seq uint16) {
	r.baseExt, r.maxExt = int64(seq)+seqMod, int64(seq)+seqMod
	r.seen = [seenWindow / 64]uint64{}
	r.mark(r.maxExt)
}

// advance moves the highest sequence number forward to ext, clearing the
// duplicate window's slots it passes, and marks ext as seen.
func (r *Receiver) advance(ext int64) {
	if ext-r.maxExt >= seenWindow {
		r.seen = [seenWindow / 64]uint64{}
	} else {
		for e := r.maxExt + 1; e <= ext; e++ {
			r.seen[(e%seenWindow)/64] &^= 1 << (e % 64)
		}
	}
	r.maxExt = ext
	r.mark(ext)
}

func (r *Receiver) mark(ext int64) { r.seen[(ext%seenWindow)/64] |= 1 << (ext % 64) }

func (r *Receiver) isSeen(ext int64) bool {
	return r.maxExt-ext < seenWindow && r.seen[(ext%seenWindow)/64]&(1<<(ext%64)) != 0
}

// accept counts p and updates the jitter (RFC 3550 A.8): D is the change
// in transit time between consecutive arrivals, in timestamp units.
// restart says p has no predecessor to compare with.
func (r *Receiver) accept(p *Packet, arrival time.Time, restart bool) {
	r.received++
	if !restart {
		arriveUnits := arrival.Sub(r.lastArrive).Seconds() * ClockRate
		d := arriveUnits - float64(int32(p.Timestamp-r.lastTS))
		if d < 0 {
			d = -d
		}
		r.jitter += (d - r.jitter) / 16
	}
	r.lastTS, r.lastArrive = p.Timestamp, arrival
}

// Stats reports the stream so far; sent is how many packets our side sent.
func (r *Receiver) Stats(sent int) simapi.RTPStats {
	st := simapi.RTPStats{Sent: sent, Received: r.received}
	if r.started {
		st.Expected = int(r.priorExp + r.maxExt - r.baseExt + 1)
	}
	st.Lost = max(st.Expected-st.Received, 0)
	if st.Expected > 0 {
		st.LossRatio = float64(st.Lost) / float64(st.Expected)
	}
	if st.Received == 0 {
		// Nothing heard: all lost, as far as a call goes. The sender's
		// count, where known (the lab runner), gives the real Expected.
		st.LossRatio, st.MOS = 1, 1
		return st
	}
	st.JitterMs = r.jitter * 1000 / ClockRate
	// Mouth-to-ear delay: packetization plus the network's one-way delay.
	delayMs := float64(Ptime+r.netDelay) / float64(time.Millisecond)
	st.MOS = MOS(st.LossRatio, st.JitterMs, delayMs)
	return st
}
