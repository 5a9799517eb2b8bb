package upf

import (
	"sync/atomic"

	"github.com/corebox/corebox/nf/proto/pfcp"
)

// urrState is a URR and what it has measured since its last report.
// Lanes add with atomics, so no packet is lost or counted twice however
// many lanes count at once; reports are built under the session's lock.
type urrState struct {
	cfg  pfcp.URR // session lock
	seqn uint32   // session lock: URSEQN of the next report
	dir  [2]usageCount
}

// usageCount is one direction's measurement, on a cache line of its own
// so that uplink and downlink lanes do not contend.
type usageCount struct {
	octets, pkts atomic.Uint64
	_            [48]byte
}

func (u *urrState) add(dir direction, size int) {
	c := &u.dir[dir]
	c.octets.Add(uint64(size))
	c.pkts.Add(1)
}

// report takes the measurement (restarting it, TS 29.244 §5.2.2.3) and
// returns it as a usage report. A packet counted while the report is
// taken may show its octets in this report and itself in the next; the
// sums over all reports are exact.
func (u *urrState) report(trigger pfcp.UsageReportTrigger) pfcp.UsageReport {
	r := pfcp.UsageReport{URRID: u.cfg.ID, URSEQN: u.seqn, Trigger: trigger}
	u.seqn++
	ul, dl := u.dir[dirUL].octets.Swap(0), u.dir[dirDL].octets.Swap(0)
	ulp, dlp := u.dir[dirUL].pkts.Swap(0), u.dir[dirDL].pkts.Swap(0)
	if u.cfg.MeasurementMethod&pfcp.MeasureVolume != 0 {
		r.Volume = &pfcp.VolumeMeasurement{Total: ul + dl, Uplink: ul, Downlink: dl,
			TotalPackets: ulp + dlp, UplinkPackets: ulp, DownlinkPackets: dlp}
	}
	return r
}
