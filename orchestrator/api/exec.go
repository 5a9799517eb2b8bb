package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ExecIO is where an exec's streams come from and go to.
type ExecIO struct {
	Stdin          io.Reader // nil: no input
	Stdout, Stderr io.Writer
}

// Exec runs a process in a container and returns its exit code.
func (c *Client) Exec(ctx context.Context, name string, req ExecRequest, stdio ExecIO) (int, error) {
	req.Stdin = stdio.Stdin != nil
	body, err := json.Marshal(req)
	if err != nil {
		return 0, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url(containerPath(name, "/exec"), nil), bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	hreq.Header.Set("Connection", "Upgrade")
	hreq.Header.Set("Upgrade", ExecUpgrade)
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return 0, fmt.Errorf("corebox daemon at %s: %w", c.socket, err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return 0, decodeError(resp)
	}
	conn, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		resp.Body.Close()
		return 0, errors.New("exec: the daemon's answer is not an upgraded connection")
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if stdio.Stdin != nil {
		go sendStdin(conn, stdio.Stdin)
	}
	return readExecStream(conn, stdio)
}

func sendStdin(conn io.Writer, in io.Reader) {
	fw := NewFrameWriter(conn)
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if werr := fw.WriteFrame(StreamStdin, buf[:n]); werr != nil {
				return // the exec ended; its result is read elsewhere
			}
		}
		if err != nil {
			// EOF or a read error: either way the process gets EOF.
			_ = fw.WriteFrame(StreamStdin, nil)
			return
		}
	}
}

func readExecStream(conn io.Reader, stdio ExecIO) (int, error) {
	for {
		stream, p, err := ReadFrame(conn)
		if err != nil {
			return 0, fmt.Errorf("exec stream: %w", err)
		}
		var w io.Writer
		switch stream {
		case StreamStdout:
			w = stdio.Stdout
		case StreamStderr:
			w = stdio.Stderr
		case StreamExit:
			var res ExitResult
			if err := json.Unmarshal(p, &res); err != nil {
				return 0, fmt.Errorf("exec result: %w", err)
			}
			if res.Error != "" {
				return 0, errors.New(res.Error)
			}
			return res.Code, nil
		default:
			return 0, fmt.Errorf("exec stream: unknown stream %d", stream)
		}
		if w != nil {
			if _, err := w.Write(p); err != nil {
				return 0, fmt.Errorf("exec output: %w", err)
			}
		}
	}
}
