package api

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFramesRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		stream  byte
		payload []byte
	}{
		{"stdin data", StreamStdin, []byte("hello\n")},
		{"stdin eof", StreamStdin, nil},
		{"stdout", StreamStdout, bytes.Repeat([]byte("x"), 70000)},
		{"exit", StreamExit, []byte(`{"code":3}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := NewFrameWriter(&buf).WriteFrame(tt.stream, tt.payload); err != nil {
				t.Fatal(err)
			}
			stream, p, err := ReadFrame(&buf)
			if err != nil || stream != tt.stream || !bytes.Equal(p, tt.payload) {
				t.Fatalf("got stream %d, %d bytes, %v", stream, len(p), err)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes left over", buf.Len())
			}
		})
	}
}

func TestStreamWriterSplitsLargeWrites(t *testing.T) {
	var buf bytes.Buffer
	big := bytes.Repeat([]byte("ab"), maxFrame) // two frames' worth
	if n, err := NewFrameWriter(&buf).Stream(StreamStdout).Write(big); err != nil || n != len(big) {
		t.Fatalf("write = %d, %v", n, err)
	}
	var got []byte
	for buf.Len() > 0 {
		_, p, err := ReadFrame(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) > maxFrame {
			t.Fatalf("frame of %d bytes over the limit", len(p))
		}
		got = append(got, p...)
	}
	if !bytes.Equal(got, big) {
		t.Error("payload changed across frames")
	}
}

func TestReadFrameRejects(t *testing.T) {
	tests := map[string][]byte{
		"truncated header":  {1, 0, 0},
		"truncated payload": {1, 0, 0, 0, 5, 'a', 'b'},
		"oversized":         {1, 0xff, 0xff, 0xff, 0xff},
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ReadFrame(bytes.NewReader(in)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, _, err := ReadFrame(bytes.NewReader(nil)); !errors.Is(err, io.EOF) {
		t.Errorf("empty input: %v, want io.EOF (a clean end of stream)", err)
	}
}

// FuzzReadFrame: whatever the peer sends, ReadFrame returns a frame within
// the limit that re-encodes to the bytes it came from, or an error; it
// never panics or allocates past the limit.
func FuzzReadFrame(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for {
			before := r.Len()
			stream, p, err := ReadFrame(r)
			if err != nil {
				return
			}
			if len(p) > maxFrame {
				t.Fatalf("frame of %d bytes over the limit", len(p))
			}
			consumed := in[len(in)-before : len(in)-r.Len()]
			var out bytes.Buffer
			if err := NewFrameWriter(&out).WriteFrame(stream, p); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), consumed) {
				t.Fatalf("re-encoded %x, read from %x", out.Bytes(), consumed)
			}
		}
	})
}
