package gtpgen

import (
	"encoding/binary"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// setUnicastIf pins the output interface of c's unconnected sends to
// ifindex (0 unpins): IP_UNICAST_IF, whose value is the index in network
// byte order.
func setUnicastIf(c *net.UDPConn, ifindex int) error {
	var be [4]byte
	binary.BigEndian.PutUint32(be[:], uint32(ifindex))
	v := int(int32(binary.NativeEndian.Uint32(be[:])))
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("raw socket: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_UNICAST_IF, v)
	}); err != nil {
		return fmt.Errorf("raw socket: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("setsockopt IP_UNICAST_IF: %w", serr)
	}
	return nil
}
