package sctp

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// What N2 costs in userspace mode, on loopback. BenchmarkRoundTrip also
// measures plain UDP request/response in the same run, as the baseline
// (x-udp = SCTP round trips per second / UDP ones).

const baselineRoundTrips = 5000

func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{100, 1000, 8000} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			base := udpRoundTripRate(b, size, baselineRoundTrips)
			l := listenTest(b, udpOptions{heartbeat: time.Minute})
			client, server := pair(b, l)
			go echoQuiet(server)
			msg := make([]byte, size)
			buf := make([]byte, MaxMessageSize)
			b.SetBytes(int64(size))
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if err := client.WriteMsg(msg, Info{Stream: 1, PPID: PPIDNGAP}); err != nil {
					b.Fatal(err)
				}
				if _, _, err := client.ReadMsg(buf); err != nil {
					b.Fatal(err)
				}
			}
			rate := float64(b.N) / time.Since(start).Seconds()
			b.StopTimer()
			b.ReportMetric(rate, "rtt/s")
			b.ReportMetric(base, "udp-rtt/s")
			b.ReportMetric(rate/base, "x-udp")
		})
	}
}

// BenchmarkOneWay: messages per second from one writer (or one per stream)
// to a reader, counted when read.
func BenchmarkOneWay(b *testing.B) {
	for _, tc := range []struct{ size, streams int }{{100, 1}, {100, 4}, {1000, 1}} {
		b.Run(fmt.Sprintf("%dB-%dstreams", tc.size, tc.streams), func(b *testing.B) {
			l := listenTest(b, udpOptions{heartbeat: time.Minute})
			client, server := pair(b, l)
			msg := make([]byte, tc.size)
			b.SetBytes(int64(tc.size))
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for s := range tc.streams {
				n := b.N / tc.streams
				if s == 0 {
					n += b.N % tc.streams
				}
				wg.Go(func() {
					for range n {
						if err := client.WriteMsg(msg, Info{Stream: uint16(s), PPID: PPIDNGAP}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			buf := make([]byte, MaxMessageSize)
			for range b.N {
				if _, _, err := server.ReadMsg(buf); err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

func echoQuiet(c Conn) {
	buf := make([]byte, MaxMessageSize)
	for {
		n, info, err := c.ReadMsg(buf)
		if err != nil || c.WriteMsg(buf[:n], info) != nil {
			return
		}
	}
}

// udpRoundTripRate is the baseline: request/response over plain UDP
// sockets on loopback, per second.
func udpRoundTripRate(b *testing.B, size, n int) float64 {
	b.Helper()
	srv, cli := rawPeer(b), rawPeer(b)
	go func() {
		buf := make([]byte, 65536)
		for {
			k, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if _, err := srv.WriteToUDPAddrPort(buf[:k], from); err != nil {
				return
			}
		}
	}()
	to := srv.LocalAddr().(*net.UDPAddr)
	msg, buf := make([]byte, size), make([]byte, 65536)
	start := time.Now()
	for range n {
		if _, err := cli.WriteToUDP(msg, to); err != nil {
			b.Fatal(err)
		}
		if _, err := cli.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}
