package diameter

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCodec: build+encode and decode+parse of the two largest
// messages we send often (AIA with one vector, ULA with two APNs).
func BenchmarkCodec(b *testing.B) {
	for _, s := range samples(b) {
		if s.name != "AIA" && s.name != "ULA" {
			continue
		}
		_, raw := wire(b, s.msg)
		b.Run(s.name+"/encode", func(b *testing.B) {
			for b.Loop() {
				m, err := s.msg.Build()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Encode(m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(s.name+"/decode", func(b *testing.B) {
			for b.Loop() {
				m, err := Decode(raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.parse(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRequestAnswer: AIR/AIA round trips over loopback TCP between
// our Client and Server, one at a time and 32 in flight.
func BenchmarkRequestAnswer(b *testing.B) {
	s, err := NewServer(serverConfig(), WithLogger(quiet()))
	if err != nil {
		b.Fatal(err)
	}
	s.Handle(AppS6a, CmdAuthenticationInfo, aiaHandler)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	ln, err := listenLoopback()
	if err != nil {
		b.Fatal(err)
	}
	go func() { done <- s.Serve(ctx, ln) }()
	c, err := NewClient(clientConfig(mmeHost), ln.Addr().String(), WithLogger(quiet()))
	if err != nil {
		b.Fatal(err)
	}
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				b.Error(err)
			}
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if _, err := c.WaitConnected(wctx); err != nil {
		b.Fatal(err)
	}
	m := air(b, imsi)
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Request(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Request(ctx, air(b, imsi)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
