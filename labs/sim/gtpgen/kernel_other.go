//go:build !linux

package gtpgen

import (
	"errors"
	"fmt"
	"net"
)

// setUnicastIf needs Linux's IP_UNICAST_IF.
func setUnicastIf(*net.UDPConn, int) error {
	return fmt.Errorf("%w: IP_UNICAST_IF is Linux only", errors.ErrUnsupported)
}
