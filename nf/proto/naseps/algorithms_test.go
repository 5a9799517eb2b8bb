package naseps

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// A from-the-spec reference of 128-EIA2 (AES-CMAC of RFC 4493 over
// COUNT || BEARER || DIRECTION || 0^26 || M, TS 33.401 B.2.3) and 128-EEA2
// (AES-CTR from COUNT || BEARER || DIRECTION || 0^90, B.1.3). It is checked
// against RFC 4493's and TS 33.401 Annex C's published vectors, then used to
// check the free5gc implementation we run at EPS NAS's BEARER 0, which the
// published vectors do not cover.

func refCMAC(t *testing.T, key, msg []byte) [16]byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	dbl := func(in [16]byte) (out [16]byte) {
		for i := range in {
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
	k1 := dbl(l)
	k2 := dbl(k1)

	blocks := (len(msg) + 15) / 16
	whole := blocks > 0 && len(msg)%16 == 0
	if blocks == 0 {
		blocks = 1
	}
	var last [16]byte
	rest := msg[(blocks-1)*16:]
	copy(last[:], rest)
	sub := k1
	if !whole {
		last[len(rest)] = 0x80
		sub = k2
	}
	for i := range last {
		last[i] ^= sub[i]
	}
	var x [16]byte
	for b := 0; b < blocks; b++ {
		m := last
		if b < blocks-1 {
			copy(m[:], msg[16*b:])
		}
		for i := range x {
			x[i] ^= m[i]
		}
		block.Encrypt(x[:], x[:])
	}
	return x
}

func refEIA2(t *testing.T, key []byte, count uint32, bearer, dir uint8, msg []byte) [4]byte {
	t.Helper()
	in := make([]byte, 8, 8+len(msg))
	binary.BigEndian.PutUint32(in, count)
	in[4] = bearer<<3 | dir<<2
	full := refCMAC(t, key, append(in, msg...))
	return [4]byte(full[:4])
}

func refEEA2(t *testing.T, key []byte, count uint32, bearer, dir uint8, data []byte) []byte {
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

func TestReferenceCMACRFC4493(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	msg := unhex(t, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411"+
		"e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	for _, c := range []struct {
		n    int
		want string
	}{{0, "bb1d6929e95937287fa37d129b756746"}, {16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"}, {64, "51f0bebf7e3b9d92fc49741779363cfe"}} {
		got := refCMAC(t, key, msg[:c.n])
		if hex.EncodeToString(got[:]) != c.want {
			t.Errorf("RFC 4493 example (%d octets) = %x, want %s", c.n, got, c.want)
		}
	}
}

// TestReferenceAgainstAnnexC: TS 33.401 C.2 128-EIA2 test set 2 and C.1
// 128-EEA2 test set 2 (as open5gs tests/unit/security-test.c
// security_test6 and security_test7 carry them, the latter cut to 800
// bits).
func TestReferenceAgainstAnnexC(t *testing.T) {
	mac := refEIA2(t, unhex(t, "d3c5d592327fb11c4035c6680af8c6d1"), 0x398a59b4, 0x1a, 1, unhex(t, "484583d5afe082ae"))
	if hex.EncodeToString(mac[:]) != "b93787e6" {
		t.Errorf("EIA2 set 2 MAC = %x", mac)
	}
	plain := unhex(t, "7ec61272743bf1614726446a6c38ced166f6ca76eb5430044286346cef130f92922b03450d3a9975e5bd2ea0eb55ad8e"+
		"1b199e3ec4316020e9a1b285e762795359b7bdfd39bef4b2484583d5afe082aee638bf5fd5a606193901a08f4ab41aab9b134880")
	want := "59616053" + "53c64bdca15b195e288553a910632506d6200aa790c4c806c99904cf2445cc50bb1cf168a49673734e081b57e324ce52" +
		"59c0e78d4cd97b870976503c0943f2cb5ae8f052c7b7d392239587b8956086bcab18836042e2e6ce42432a17105c53d3"
	got := refEEA2(t, unhex(t, "2bd6459f82c440e0952c49104805ff48"), 0xc675a64b, 0x0c, 1, plain)
	if hex.EncodeToString(got) != want {
		t.Errorf("EEA2 set 2 = %x", got)
	}
}

// TestAlgorithmsAtBearerZero compares the free5gc code we run with the
// reference at BEARER 0, both directions, several COUNTs and lengths
// (whole and partial CMAC blocks).
func TestAlgorithmsAtBearerZero(t *testing.T) {
	key := [16]byte(unhex(t, "fc7a3850d19ae29ec7000b9df98787f1"))
	for _, n := range []int{1, 2, 15, 16, 17, 32, 100} {
		msg := bytes.Repeat([]byte{byte(n), 0x5a}, n)[:n]
		for _, count := range []Count{0, 1, 0x1ff, 0xABCDEF} {
			for _, dir := range []Direction{Uplink, Downlink} {
				mac, err := nasMAC(EIA2, key, count, dir, msg)
				if err != nil {
					t.Fatal(err)
				}
				if want := refEIA2(t, key[:], uint32(count), 0, uint8(dir), msg); mac != want {
					t.Errorf("EIA2 n=%d count=%v %v: %x, want %x", n, count, dir, mac, want)
				}
				ct, err := nasCipher(EEA2, key, count, dir, msg)
				if err != nil {
					t.Fatal(err)
				}
				if want := refEEA2(t, key[:], uint32(count), 0, uint8(dir), msg); !bytes.Equal(ct, want) {
					t.Errorf("EEA2 n=%d count=%v %v: %x, want %x", n, count, dir, ct, want)
				}
			}
		}
	}
	for _, alg := range []uint8{EEA1, EEA3} {
		ct, err := nasCipher(alg, key, 7, Uplink, []byte("plain NAS"))
		if err != nil || bytes.Equal(ct, []byte("plain NAS")) {
			t.Errorf("EEA%d: %x, %v", alg, ct, err)
		}
		back, err := nasCipher(alg, key, 7, Uplink, ct)
		if err != nil || string(back) != "plain NAS" {
			t.Errorf("EEA%d is not its own inverse: %q, %v", alg, back, err)
		}
	}
	if _, err := nasMAC(4, key, 0, Uplink, []byte{1}); err == nil {
		t.Error("EIA4 ran")
	}
}
