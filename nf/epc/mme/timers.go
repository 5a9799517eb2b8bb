package mme

import "time"

// nasTimer is a running EMM retransmission timer (T3450, T3460, T3470,
// T3422): on each expiry resend runs, until the retransmissions are used
// up; then expire runs. One runs per UE at a time, as EMM runs one
// common or specific procedure at a time.
type nasTimer struct {
	name   string
	every  time.Duration
	left   int
	t      *time.Timer
	resend func()
	expire func()
}

// startTimerLocked replaces the UE's timer. resend and expire run on the
// UE's executor without u.mu held.
func (u *ue) startTimerLocked(name string, every time.Duration, resend, expire func()) {
	u.stopTimerLocked()
	nt := &nasTimer{name: name, every: every, left: u.m.cfg.Timers.MaxRetransmissions, resend: resend, expire: expire}
	u.timer = nt
	nt.t = time.AfterFunc(every, func() { u.do(func() { u.timerFired(nt) }) })
}

func (u *ue) stopTimerLocked() {
	if u.timer != nil {
		u.timer.t.Stop()
		u.timer = nil
	}
}

func (u *ue) timerFired(nt *nasTimer) {
	u.mu.Lock()
	if u.timer != nt {
		u.mu.Unlock()
		return // stopped or replaced meanwhile
	}
	if nt.left == 0 {
		u.timer = nil
		log := u.loggerLocked()
		u.mu.Unlock()
		u.m.m.timerExpiries.WithLabelValues(nt.name).Inc()
		log.Info("NAS timer expired, procedure abandoned", "timer", nt.name)
		nt.expire()
		return
	}
	nt.left--
	nt.t = time.AfterFunc(nt.every, func() { u.do(func() { u.timerFired(nt) }) })
	u.mu.Unlock()
	u.m.m.retransmissions.WithLabelValues(nt.name).Inc()
	nt.resend()
}
