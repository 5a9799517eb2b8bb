package api

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Exec stream ids. Each frame is [stream byte][uint32 length][payload].
const (
	StreamStdin  byte = 0
	StreamStdout byte = 1
	StreamStderr byte = 2
	StreamExit   byte = 3
)

// maxFrame bounds a frame so a broken peer cannot make us allocate GiBs.
const maxFrame = 1 << 20

// ExecUpgrade is the protocol name of an upgraded exec connection.
const ExecUpgrade = "corebox-exec/1"

// FrameWriter writes frames; safe for concurrent use by several streams.
type FrameWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewFrameWriter wraps w.
func NewFrameWriter(w io.Writer) *FrameWriter { return &FrameWriter{w: w} }

// WriteFrame writes one frame (an empty payload on stdin means EOF).
func (f *FrameWriter) WriteFrame(stream byte, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hdr [5]byte
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := f.w.Write(hdr[:]); err != nil {
		return fmt.Errorf("write frame header: %w", err)
	}
	if _, err := f.w.Write(p); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// Stream is an io.Writer that writes its bytes as frames of one stream.
func (f *FrameWriter) Stream(id byte) io.Writer { return streamWriter{f, id} }

type streamWriter struct {
	f  *FrameWriter
	id byte
}

func (s streamWriter) Write(p []byte) (int, error) {
	for off := 0; off < len(p); off += maxFrame {
		end := min(off+maxFrame, len(p))
		if err := s.f.WriteFrame(s.id, p[off:end]); err != nil {
			return off, err
		}
	}
	return len(p), nil
}

// ReadFrame reads one frame.
func ReadFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes is over the %d limit", n, maxFrame)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, fmt.Errorf("read frame: %w", err)
	}
	return hdr[0], p, nil
}
