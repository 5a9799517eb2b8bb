package naseps

import "fmt"

// Count is a NAS COUNT (TS 24.301 4.4.3.1): a 16-bit overflow counter and
// an 8-bit sequence number, 24 bits in all. The algorithms take it as a
// 32-bit COUNT whose top octet is zero.
type Count uint32

// MaxCount is the last usable NAS COUNT.
const MaxCount Count = 0xFFFFFF

// NewCount joins an overflow counter and a sequence number.
func NewCount(overflow uint16, sqn uint8) Count { return Count(overflow)<<8 | Count(sqn) }

// Overflow is the NAS overflow counter.
func (c Count) Overflow() uint16 { return uint16(c >> 8) }

// SQN is the sequence number, the low octet.
func (c Count) SQN() uint8 { return uint8(c) }

func (c Count) String() string { return fmt.Sprintf("%d/%d", c.Overflow(), c.SQN()) }

// estimate is the NAS COUNT a receiver assumes for a PDU carrying the
// lowest bits of a COUNT (8 for a security header, 5 for a SERVICE
// REQUEST) when next is the lowest COUNT it still accepts: next's upper
// bits if that is not below next, else the following window.
func estimate(next Count, low uint8, bits uint) Count {
	window := Count(1) << bits
	c := next&^(window-1) | Count(low)&(window-1)
	if c < next {
		c += window
	}
	return c
}
