package gtpv2c

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/wmnsk/go-gtp/gtpv2/message"
)

// FuzzParse: any bytes either decode, and then encode again, or fail as
// malformed or unsupported; nothing panics.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v is neither malformed nor unsupported", err)
			}
			return
		}
		if _, err := Marshal(m); err != nil {
			t.Logf("decoded %s does not encode again: %v", m.MessageTypeName(), err)
		}
	})
}

// FuzzHandleDatagram: every datagram lands in exactly one counter, and
// the handler sees only well-formed requests.
func FuzzHandleDatagram(f *testing.F) {
	c, err := New(Config{Addr: "127.0.0.1:0", Logger: quiet(), Handler: HandlerFunc(
		func(_ context.Context, _ netip.AddrPort, req message.Message) message.Message {
			if !IsRequest(req.MessageType()) {
				panic("handler got a non-request")
			}
			return message.NewDeleteSessionResponse(req.TEID(), 0, CauseIE(64))
		})})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	from := netip.MustParseAddrPort("127.0.0.1:9")
	f.Fuzz(func(t *testing.T, b []byte) {
		s := c.Stats()
		before := counted(s)
		c.HandleDatagram(context.Background(), b, from)
		if got := counted(s) - before; got != 1 {
			t.Fatalf("datagram landed in %d counters", got)
		}
	})
}

func counted(s *Stats) uint64 {
	return s.Malformed.Load() + s.Unsupported.Load() + s.EchoRequests.Load() + s.RxRequests.Load() +
		s.DuplicateRequests.Load() + s.Overload.Load() + s.RxResponses.Load() + s.UnmatchedResponses.Load()
}
