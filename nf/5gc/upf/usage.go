package upf

import (
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/pfcp"
)

// urrState is a URR and what it has measured since its last report.
// The data path adds with atomics; reports are built under the session's
// lock.
type urrState struct {
	cfg    pfcp.URR // session lock
	seqn   uint32   // session lock: URSEQN of the next report
	octets [2]atomic.Uint64
	pkts   [2]atomic.Uint64
}

func (u *urrState) add(dir direction, size int) {
	u.octets[dir].Add(uint64(size))
	u.pkts[dir].Add(1)
}

// report takes the measurement (restarting it, TS 29.244 §5.2.2.3) and
// returns it as a usage report.
func (u *urrState) report(trigger pfcp.UsageReportTrigger) pfcp.UsageReport {
	r := pfcp.UsageReport{URRID: u.cfg.ID, URSEQN: u.seqn, Trigger: trigger}
	u.seqn++
	ul, dl := u.octets[dirUL].Swap(0), u.octets[dirDL].Swap(0)
	ulp, dlp := u.pkts[dirUL].Swap(0), u.pkts[dirDL].Swap(0)
	if u.cfg.MeasurementMethod&pfcp.MeasureVolume != 0 {
		r.Volume = &pfcp.VolumeMeasurement{Total: ul + dl, Uplink: ul, Downlink: dl,
			TotalPackets: ulp + dlp, UplinkPackets: ulp, DownlinkPackets: dlp}
	}
	return r
}
