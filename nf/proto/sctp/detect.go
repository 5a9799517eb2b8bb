package sctp

import (
	"fmt"
	"log/slog"
	"sync"
	"syscall"
)

type detection struct {
	mode   Mode
	reason string
}

var detectOnce = sync.OnceValue(probeKernel)

// probeKernel asks the kernel for an SCTP socket: that is the whole test.
func probeKernel() detection {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	if err != nil {
		return detection{ModeUDP, fmt.Sprintf("kernel lacks SCTP (socket: %v)", err)}
	}
	if err := syscall.Close(fd); err != nil {
		return detection{ModeKernel, fmt.Sprintf("kernel SCTP available (closing probe: %v)", err)}
	}
	return detection{ModeKernel, "kernel SCTP available"}
}

// Detect reports what ModeAuto resolves to on this machine: ModeKernel if
// the kernel can open an SCTP socket, else ModeUDP. It probes once.
func Detect() Mode { return detectOnce().mode }

// Transport reports what ModeAuto resolves to and why, for status output.
func Transport() (Mode, string) {
	d := detectOnce()
	return d.mode, d.reason
}

func resolve(m Mode) (Mode, string) {
	switch m {
	case ModeKernel, ModeUDP:
		return m, "configured"
	default:
		d := detectOnce()
		return d.mode, d.reason
	}
}

var announced sync.Map // Mode -> struct{}

// announce logs the transport the first time this process uses it.
func announce(log *slog.Logger, mode Mode, reason string) {
	if _, seen := announced.LoadOrStore(mode, struct{}{}); seen {
		return
	}
	log.Info("sctp transport", "mode", string(mode), "reason", reason)
}

// Chosen is the transport a Listen or Dial with cfg uses, and why, for
// NFs to report (nfkit Ops.SetInfo, shown by `corebox status`).
func Chosen(cfg Config) string {
	m, why := resolve(cfg.Mode)
	return string(m) + ": " + why
}
