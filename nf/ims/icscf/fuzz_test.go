package icscf

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzRegisterIDs feeds raw SIP messages to the identity handling of
// REGISTER and of routed requests: errors are fine, panics are not.
func FuzzRegisterIDs(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.ParseMessage(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		if impu, impi, _, err := registerIDs(req); err == nil && (impu == "" || impi == "") {
			t.Fatalf("registerIDs accepted empty identities: %q", data)
		}
		_ = identity(req.Recipient)
	})
}
