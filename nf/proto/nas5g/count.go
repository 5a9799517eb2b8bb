package nas5g

import "fmt"

// Count is a NAS COUNT (TS 24.501 4.4.3.1): a 16-bit overflow counter and
// the 8-bit sequence number sent in each protected PDU, 24 bits in all. The
// algorithms take it as a 32-bit COUNT whose top octet is zero.
type Count uint32

const maxCount Count = 0xFFFFFF

// NewCount joins an overflow counter and a sequence number.
func NewCount(overflow uint16, sqn uint8) Count {
	return Count(overflow)<<8 | Count(sqn)
}

// Overflow is the NAS overflow counter.
func (c Count) Overflow() uint16 { return uint16(c >> 8) }

// SQN is the sequence number, the low octet.
func (c Count) SQN() uint8 { return uint8(c) }

func (c Count) String() string {
	return fmt.Sprintf("%d/%d", c.Overflow(), c.SQN())
}

// estimate returns the NAS COUNT a receiver assumes for a PDU carrying sqn
// when next is the lowest COUNT it still accepts: the same overflow if that
// is not below next, otherwise the following overflow.
func estimate(next Count, sqn uint8) Count {
	c := next&^0xFF | Count(sqn)
	if c < next {
		c += 0x100
	}
	return c
}
