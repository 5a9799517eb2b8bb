package pgw

import (
	"errors"
	"net"

	"github.com/corebox/corebox/nf/5gc/upf"
)

// Device is an APN's SGi side: whole IP packets, no link header. A TUN
// device in an instance, a MemoryDevice in tests.
type Device interface {
	Name() string
	// ReadBatch blocks for the next downlink packet, then takes those
	// already waiting, up to len(bufs): packet i goes to bufs[i][off:]
	// and its length to sizes[i]. One goroutine reads. After Close it
	// returns an error wrapping net.ErrClosed.
	ReadBatch(bufs [][]byte, sizes []int, off int) (int, error)
	// WritePacket sends one uplink packet toward the data network; pkt
	// may be reused on return. Safe for concurrent use.
	WritePacket(pkt []byte) error
	Close() error
}

// MemoryDevice is the in-memory SGi device (sgi.mode memory): tests
// Inject downlink packets and read what the PGW sent up from Uplink. It is
// the UPF's in-memory N6 device, which has the same contract.
type MemoryDevice = upf.MemoryN6

// NewMemoryDevice returns an open in-memory device.
func NewMemoryDevice() *MemoryDevice { return upf.NewMemoryN6() }

func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }
