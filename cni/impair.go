package cni

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// impairHandle marks the root qdisc Impair installs ("cb:").
var impairHandle = netlink.MakeHandle(0xcb, 0)

const (
	// tbfLatency is how long tbf may queue a packet before dropping it.
	tbfLatency = 50 * time.Millisecond
	// tbfMinBurst holds two full Ethernet frames: tbf drops anything larger
	// than its bucket.
	tbfMinBurst = 2 * 1514
	maxDuration = time.Duration(math.MaxUint32) * time.Microsecond
)

// Impair emulates a worse link on ifName inside the namespace at netnsPath,
// replacing its root qdisc: netem for delay, jitter and loss (with netem's
// own rate limit when a rate is given too), or tbf when only a rate is
// asked for. A zero Impairment clears. On a kernel without sch_netem a
// delay, jitter or loss returns an error that errors.Is
// ErrImpairmentUnsupported; rate-only impairment still works there.
func Impair(netnsPath, ifName string, imp Impairment) error {
	if err := imp.validate(); err != nil {
		return err
	}
	if imp == (Impairment{}) {
		return ClearImpairment(netnsPath, ifName)
	}
	return inNetNS(netnsPath, func(h *netlink.Handle) error {
		link, err := netlinksafe.Handle{Handle: h}.LinkByName(ifName)
		if err != nil {
			return fmt.Errorf("impair %s in %s: %w", ifName, netnsPath, err)
		}
		// Remove first: replacing a qdisc of another kind under the same
		// handle is refused by the kernel.
		if err := clearRoot(h, link); err != nil {
			return fmt.Errorf("impair %s in %s: %w", ifName, netnsPath, err)
		}
		q := impairmentQdisc(link.Attrs().Index, imp)
		if err := h.QdiscAdd(q); err != nil {
			if q.Type() == "netem" && errors.Is(err, unix.ENOENT) {
				return errorf(ErrImpairmentUnsupported, "impair %s: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM / module sch_netem), so delay, jitter and loss cannot be emulated; a rate limit alone works (tbf)", ifName)
			}
			return fmt.Errorf("impair %s in %s: add %s qdisc: %w", ifName, netnsPath, q.Type(), err)
		}
		return nil
	})
}

func (imp Impairment) validate() error {
	switch {
	case imp.Delay < 0 || imp.Delay > maxDuration:
		return invalid("delay", imp.Delay.String(), "must be between 0 and %s", maxDuration)
	case imp.Jitter < 0 || imp.Jitter > maxDuration:
		return invalid("jitter", imp.Jitter.String(), "must be between 0 and %s", maxDuration)
	case imp.Jitter > 0 && imp.Delay == 0:
		return invalid("jitter", imp.Jitter.String(), "jitter varies a delay: give a delay too")
	case imp.LossPercent < 0 || imp.LossPercent > 100 || math.IsNaN(imp.LossPercent):
		return invalid("loss", fmt.Sprint(imp.LossPercent), "must be a percentage between 0 and 100")
	case imp.RateBitsPerSec > 0 && imp.RateBitsPerSec < 8:
		return invalid("rate", fmt.Sprint(imp.RateBitsPerSec), "must be at least 8 bits/s")
	}
	return nil
}

func impairmentQdisc(linkIndex int, imp Impairment) netlink.Qdisc {
	attrs := netlink.QdiscAttrs{LinkIndex: linkIndex, Handle: impairHandle, Parent: netlink.HANDLE_ROOT}
	rate := imp.RateBitsPerSec / 8 // qdiscs count bytes
	if imp.Delay == 0 && imp.LossPercent == 0 {
		return tbfQdisc(attrs, rate)
	}
	return netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
		Latency: uint32(imp.Delay / time.Microsecond),
		Jitter:  uint32(imp.Jitter / time.Microsecond),
		Loss:    float32(imp.LossPercent),
		Rate64:  rate,
	})
}

// tbfQdisc shapes to rate bytes/s with a bucket of 10 ms worth of traffic
// (at least two frames) and queues up to tbfLatency.
func tbfQdisc(attrs netlink.QdiscAttrs, rate uint64) *netlink.Tbf {
	burst := max(rate/100, tbfMinBurst)
	burst = min(burst, math.MaxUint32/2)
	limit := min(rate*uint64(tbfLatency/time.Millisecond)/1000+burst, math.MaxUint32)
	return &netlink.Tbf{
		QdiscAttrs: attrs,
		Rate:       rate,
		Limit:      uint32(limit),
		Buffer:     netlink.Xmittime(rate, uint32(burst)),
	}
}

// ClearImpairment removes the root qdisc Impair installed (any root qdisc
// but the default). No impairment is not an error.
func ClearImpairment(netnsPath, ifName string) error {
	return inNetNS(netnsPath, func(h *netlink.Handle) error {
		link, err := netlinksafe.Handle{Handle: h}.LinkByName(ifName)
		if err != nil {
			return fmt.Errorf("clear impairment of %s in %s: %w", ifName, netnsPath, err)
		}
		if err := clearRoot(h, link); err != nil {
			return fmt.Errorf("clear impairment of %s in %s: %w", ifName, netnsPath, err)
		}
		return nil
	})
}

func clearRoot(h *netlink.Handle, link netlink.Link) error {
	safe := netlinksafe.Handle{Handle: h}
	qdiscs, err := safe.QdiscList(link)
	if err != nil {
		return fmt.Errorf("list qdiscs: %w", err)
	}
	for _, q := range qdiscs {
		a := q.Attrs()
		if a.Parent != netlink.HANDLE_ROOT || a.Handle == 0 || q.Type() == "noqueue" {
			continue // the kernel's default, nothing to clear
		}
		if err := h.QdiscDel(q); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("delete %s qdisc: %w", q.Type(), err)
		}
	}
	return nil
}
