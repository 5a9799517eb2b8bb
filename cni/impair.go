package cni

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// maxDuration is the largest delay or jitter netem can take (a uint32 of
// microseconds).
const maxDuration = time.Duration(math.MaxUint32) * time.Microsecond

// Impair emulates a worse link on ifName inside the namespace at netnsPath,
// replacing whatever impairment Impair gave it before. A zero Impairment
// clears.
//
// Impair combines small mechanisms, each owning one piece of kernel state:
//
//   - the root qdisc (rootQdisc): netem for delay, jitter and loss, with
//     netem's own rate limit when a rate is given too; tbf when only a rate
//     is asked for, or when the kernel has no netem;
//   - an nftables egress chain on the interface (nftLoss), which drops a
//     random share of the packets the interface sends: loss on a kernel
//     without netem.
//
// Where the kernel has no sch_netem, delay and jitter cannot be emulated:
// Impair then returns an error that errors.Is ErrImpairmentUnsupported and
// changes nothing; loss and rate still work there.
func Impair(netnsPath, ifName string, imp Impairment) error {
	if err := imp.validate(); err != nil {
		return err
	}
	if imp == (Impairment{}) {
		return ClearImpairment(netnsPath, ifName)
	}
	return inImpairNS(netnsPath, func(h *netlink.Handle, nsFd int) error {
		link, err := netlinksafe.Handle{Handle: h}.LinkByName(ifName)
		if err != nil {
			return fmt.Errorf("impair %s in %s: %w", ifName, netnsPath, err)
		}
		netem, err := netemSupported()
		if err != nil {
			// The probe could not run: let the kernel answer on the
			// interface itself (errNoNetem below).
			netem = true
		}
		plan, err := planImpairment(link, imp, netem)
		if err != nil {
			return err
		}
		err = plan.apply(h, nsFd, link)
		if errors.Is(err, errNoNetem) {
			// The netem attempt has removed the old impairment.
			recordNoNetem()
			if plan, err = planImpairment(link, imp, false); err != nil {
				return fmt.Errorf("%w (%s is left unimpaired)", err, ifName)
			}
			err = plan.apply(h, nsFd, link)
		}
		if err != nil {
			return fmt.Errorf("impair %s in %s: %w", ifName, netnsPath, err)
		}
		return nil
	})
}

// ClearImpairment removes what Impair installed on ifName: any root qdisc
// but the default, and the interface's nftables loss table. No impairment
// is not an error.
func ClearImpairment(netnsPath, ifName string) error {
	return inImpairNS(netnsPath, func(h *netlink.Handle, nsFd int) error {
		link, err := netlinksafe.Handle{Handle: h}.LinkByName(ifName)
		if err != nil {
			return fmt.Errorf("clear impairment of %s in %s: %w", ifName, netnsPath, err)
		}
		// Both, even when one fails.
		err = errors.Join(nftLoss{ifName: ifName}.remove(nsFd), rootQdisc{}.apply(h, link))
		if err != nil {
			return fmt.Errorf("clear impairment of %s in %s: %w", ifName, netnsPath, err)
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

// impairPlan is the whole impairment of one interface: every mechanism is
// always applied, so a mechanism the new impairment does not use removes
// what an earlier one left.
type impairPlan struct {
	loss  nftLoss
	qdisc rootQdisc
}

// planImpairment splits imp over the mechanisms the kernel has.
func planImpairment(link netlink.Link, imp Impairment, netem bool) (impairPlan, error) {
	name := link.Attrs().Name
	rate := imp.RateBitsPerSec / 8 // qdiscs count bytes
	if netem && (imp.Delay > 0 || imp.LossPercent > 0) {
		return impairPlan{
			loss:  nftLoss{ifName: name},
			qdisc: rootQdisc{q: netemQdisc(link.Attrs().Index, imp.Delay, imp.Jitter, imp.LossPercent, rate)},
		}, nil
	}
	if imp.Delay > 0 {
		return impairPlan{}, errorf(ErrImpairmentUnsupported,
			"impair %s: delay and jitter need the netem qdisc, and this kernel has none (built without CONFIG_NET_SCH_NETEM, or without its sch_netem module); loss (nftables) and rate (tbf) still work on it: drop the delay and jitter, or use a kernel with CONFIG_NET_SCH_NETEM",
			name)
	}
	plan := impairPlan{loss: nftLoss{ifName: name, ppm: lossPPM(imp.LossPercent)}}
	if rate > 0 {
		plan.qdisc.q = tbfQdisc(link.Attrs().Index, rate)
	}
	return plan, nil
}

// apply installs the nftables part first: it is one transaction, and when
// the kernel refuses it nothing has changed yet. When the qdisc then
// fails, the nftables part is removed again: the interface is left
// unimpaired rather than half impaired.
func (p impairPlan) apply(h *netlink.Handle, nsFd int, link netlink.Link) error {
	if err := p.loss.apply(nsFd); err != nil {
		return err
	}
	if err := p.qdisc.apply(h, link); err != nil {
		if p.loss.ppm == 0 {
			return err
		}
		if rerr := (nftLoss{ifName: p.loss.ifName}).remove(nsFd); rerr != nil {
			return fmt.Errorf("%w (and removing the loss rule again failed: %v)", err, rerr)
		}
		return fmt.Errorf("%w (the interface is left unimpaired)", err)
	}
	return nil
}

// inImpairNS runs f with a netlink handle bound to the namespace at path
// and the namespace's file descriptor, for netfilter sockets; no goroutine
// switches namespaces.
func inImpairNS(path string, f func(h *netlink.Handle, nsFd int) error) error {
	// ns.GetNS tells "no such file" from "not a namespace" with a clear message.
	nsFile, err := ns.GetNS(path)
	if err != nil {
		return fmt.Errorf("network namespace: %w", err)
	}
	defer nsFile.Close()
	fd := int(nsFile.Fd())
	h, err := netlink.NewHandleAt(netns.NsHandle(fd))
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", path, err)
	}
	defer h.Close()
	return f(h, fd)
}
