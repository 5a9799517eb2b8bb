package nfkit

import (
	"fmt"
	"net"
)

// UDPBufferBytes is the socket buffer every NF asks for on its UDP sockets
// (radio, GTP-U, SCTP over UDP, PFCP). The default (about 208 KiB) drops
// datagrams when a thousand UEs act at once; the kernel caps the request at
// net.core.rmem_max / wmem_max.
const UDPBufferBytes = 4 << 20

// GrowUDPBuffers raises a UDP socket's receive and send buffers to
// UDPBufferBytes (as far as the kernel allows). Other conns are left alone.
func GrowUDPBuffers(c any) error {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return nil
	}
	if err := uc.SetReadBuffer(UDPBufferBytes); err != nil {
		return fmt.Errorf("receive buffer of %s: %w", uc.LocalAddr(), err)
	}
	if err := uc.SetWriteBuffer(UDPBufferBytes); err != nil {
		return fmt.Errorf("send buffer of %s: %w", uc.LocalAddr(), err)
	}
	return nil
}
