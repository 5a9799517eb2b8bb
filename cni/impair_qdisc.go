package cni

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
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
)

// errNoNetem: adding a netem qdisc failed because the kernel has none.
var errNoNetem = errors.New("the kernel has no netem qdisc")

// rootQdisc is the root qdisc Impair owns on an interface: applying it
// removes any root qdisc but the kernel's default, then adds q unless it is
// nil.
type rootQdisc struct {
	q netlink.Qdisc
}

func (r rootQdisc) apply(h *netlink.Handle, link netlink.Link) error {
	// Remove first: replacing a qdisc of another kind under the same
	// handle is refused by the kernel.
	if err := clearRoot(h, link); err != nil {
		return err
	}
	if r.q == nil {
		return nil
	}
	if err := h.QdiscAdd(r.q); err != nil {
		if r.q.Type() == "netem" && errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("add netem qdisc: %w", errNoNetem)
		}
		return fmt.Errorf("add %s qdisc: %w", r.q.Type(), err)
	}
	return nil
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

// netemQdisc delays, jitters and drops, and limits to rate bytes/s when
// rate is not 0.
func netemQdisc(linkIndex int, delay, jitter time.Duration, lossPercent float64, rate uint64) *netlink.Netem {
	attrs := netlink.QdiscAttrs{LinkIndex: linkIndex, Handle: impairHandle, Parent: netlink.HANDLE_ROOT}
	return netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
		Latency: uint32(delay / time.Microsecond),
		Jitter:  uint32(jitter / time.Microsecond),
		Loss:    float32(lossPercent),
		Rate64:  rate,
	})
}

// tbfQdisc shapes to rate bytes/s with a bucket of 10 ms worth of traffic
// (at least two frames) and queues up to tbfLatency.
func tbfQdisc(linkIndex int, rate uint64) *netlink.Tbf {
	attrs := netlink.QdiscAttrs{LinkIndex: linkIndex, Handle: impairHandle, Parent: netlink.HANDLE_ROOT}
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

// netemSupported reports whether the kernel has the netem qdisc. Tests
// replace it to exercise the fallbacks on kernels that have netem.
var netemSupported = cachedNetemProbe

// netemProbe caches the answer: a kernel does not gain or lose a qdisc
// while we run (a module it could load is loaded by the probe itself).
var netemProbe struct {
	sync.Mutex
	known, ok bool
}

func cachedNetemProbe() (bool, error) {
	netemProbe.Lock()
	defer netemProbe.Unlock()
	if netemProbe.known {
		return netemProbe.ok, nil
	}
	ok, err := probeNetem()
	if err != nil {
		return false, err // not cached: maybe next time
	}
	netemProbe.known, netemProbe.ok = true, ok
	return ok, nil
}

// recordNoNetem caches what adding a netem qdisc to a real interface found.
func recordNoNetem() {
	netemProbe.Lock()
	defer netemProbe.Unlock()
	netemProbe.known, netemProbe.ok = true, false
}

// probeNetem adds a netem qdisc to the loopback of a private, throwaway
// network namespace, so that finding out touches no interface of anyone:
// an impairment the kernel cannot do is refused before anything changes.
func probeNetem() (bool, error) {
	type answer struct {
		ok  bool
		err error
	}
	c := make(chan answer, 1)
	go func() {
		// Never unlocked: the thread, in its private namespace, ends with
		// this goroutine, and the namespace with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			c <- answer{err: fmt.Errorf("probe for netem: unshare a network namespace: %w", err)}
			return
		}
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE) // in the thread's namespace
		if err != nil {
			c <- answer{err: fmt.Errorf("probe for netem: %w", err)}
			return
		}
		defer h.Close()
		lo, err := h.LinkByName("lo")
		if err != nil {
			c <- answer{err: fmt.Errorf("probe for netem: %w", err)}
			return
		}
		err = h.QdiscAdd(netemQdisc(lo.Attrs().Index, time.Millisecond, 0, 0, 0))
		switch {
		case err == nil:
			c <- answer{ok: true}
		case errors.Is(err, unix.ENOENT):
			c <- answer{ok: false}
		default:
			c <- answer{err: fmt.Errorf("probe for netem: add a netem qdisc: %w", err)}
		}
	}()
	a := <-c
	return a.ok, a.err
}
