package enb

import (
	"context"
	"time"

	"github.com/corebox/corebox/nf/proto/s1ap"
)

// minInactivityTick bounds how often the inactivity timer looks at the UEs.
const minInactivityTick = 10 * time.Millisecond

// inactivityLoop asks the MME to release every UE that sent and received
// nothing for cfg.InactivityTimer, once per idle spell, until ctx ends.
func (n *ENB) inactivityLoop(ctx context.Context) {
	t := time.NewTicker(max(n.cfg.InactivityTimer/4, minInactivityTick))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, ue := range n.ues.idleSince(now.Add(-n.cfg.InactivityTimer).UnixNano()) {
				n.log.Debug("ue inactive: asking the mme to release it", "ue", ue.key.String())
				n.requestRelease(ue)
			}
		}
	}
}

// touch notes NAS or user data to or from the UE, when the inactivity
// timer needs to know.
func (n *ENB) touch(ue *ueCtx) {
	if n.cfg.InactivityTimer > 0 {
		ue.active(time.Now().UnixNano())
	}
}

// requestRelease asks the UE's MME to release it (cause user inactivity);
// a UE the MME never named is released at once.
func (n *ENB) requestRelease(ue *ueCtx) {
	ids, known := n.ues.ids(ue)
	if !known {
		n.releaseLocal(ue)
		return
	}
	n.sendUE(ue.link, ue.enbID, &s1ap.UEContextReleaseRequest{UEIDs: ids, Cause: s1ap.CauseUserInactivity})
}
