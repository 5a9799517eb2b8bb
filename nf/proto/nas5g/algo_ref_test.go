package nas5g

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"testing"
)

// A from-the-spec reference of 128-NIA2 (AES-CMAC, RFC 4493, over
// COUNT|BEARER|DIRECTION|0^26|M, TS 33.401 B.2.3) and 128-NEA2 (AES-CTR,
// TS 33.401 B.1.3). It exists only so the TS 33.401 Annex C vectors, whose
// BEARER values free5gc's API refuses (it takes 0..2), can be checked, and
// then our free5gc plumbing can be compared against it at BEARER 1.

func refCMAC(t *testing.T, key, msg []byte) [16]byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	shift := func(in [16]byte) (out [16]byte) {
		for i := 0; i < 16; i++ {
			out[i] = in[i] << 1
			if i < 15 {
				out[i] |= in[i+1] >> 7
			}
		}
		if in[0]&0x80 != 0 {
			out[15] ^= 0x87
		}
		return out
	}
	var l [16]byte
	block.Encrypt(l[:], l[:])
	k1 := shift(l)
	k2 := shift(k1)

	n := (len(msg) + 15) / 16
	complete := n > 0 && len(msg)%16 == 0
	if n == 0 {
		n = 1
	}
	var last [16]byte
	copy(last[:], msg[(n-1)*16:])
	if complete {
		for i := range last {
			last[i] ^= k1[i]
		}
	} else {
		last[len(msg)-(n-1)*16] = 0x80
		for i := range last {
			last[i] ^= k2[i]
		}
	}
	var x [16]byte
	for b := 0; b < n; b++ {
		blk := last
		if b < n-1 {
			copy(blk[:], msg[b*16:])
		}
		for i := range x {
			x[i] ^= blk[i]
		}
		block.Encrypt(x[:], x[:])
	}
	return x
}

func refNIA2(t *testing.T, key []byte, count uint32, bearer, dir uint8, msg []byte) [4]byte {
	t.Helper()
	m := make([]byte, 8, 8+len(msg))
	binary.BigEndian.PutUint32(m, count)
	m[4] = bearer<<3 | dir<<2
	full := refCMAC(t, key, append(m, msg...))
	var mac [4]byte
	copy(mac[:], full[:4])
	return mac
}

func refNEA2(t *testing.T, key []byte, count uint32, bearer, dir uint8, data []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	iv := make([]byte, 16)
	binary.BigEndian.PutUint32(iv, count)
	iv[4] = bearer<<3 | dir<<2
	out := make([]byte, len(data))
	cipher.NewCTR(block, iv).XORKeyStream(out, data)
	return out
}
