package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/corebox/corebox/profiles"
)

// genRequest is the body of gtpgen's POST /gtpgen/run (labs/sim/gtpgen
// README); the bench speaks its HTTP API, not its Go types.
type genRequest struct {
	Sessions  int    `json:"sessions"`
	RatePPS   int    `json:"rate_pps"`
	Duration  string `json:"duration"`
	Size      int    `json:"size"`
	Direction string `json:"direction"`
	Mode      string `json:"mode"`
}

// genResult is the part of gtpgen's result the bench reads.
type genResult struct {
	SendSeconds float64  `json:"send_s"`
	Uplink      *genFlow `json:"uplink"`
	Downlink    *genFlow `json:"downlink"`
	KernelPath  []string `json:"kernel_path"`
	Malformed   uint64   `json:"malformed"`
	Stray       uint64   `json:"stray"`
}

type genFlow struct {
	Sent      uint64  `json:"sent"`
	Received  uint64  `json:"received"`
	LossRatio float64 `json:"loss_ratio"`
	TxPPS     float64 `json:"tx_pps"`
	RxPPS     float64 `json:"rx_pps"`
	RxGbps    float64 `json:"rx_gbps"`
	Latency   struct {
		P50Us float64 `json:"p50_us"`
		P99Us float64 `json:"p99_us"`
	} `json:"latency"`
}

// flow is the direction the request asked for.
func (r *genResult) flow(direction string) *genFlow {
	if direction == dirUL {
		return r.Uplink
	}
	return r.Downlink
}

// genClient drives one gtpgen over its ops port.
type genClient struct {
	base string // http://MGMT:9090
	http *http.Client
}

// opsURL is the base URL of an instance's ops server on its mgmt address.
func opsURL(mgmt string) string {
	return "http://" + net.JoinHostPort(mgmt, strconv.Itoa(profiles.OpsPort))
}

// run asks for one run and waits for its result; the run lasts its
// duration plus set-up, drain and teardown, so limit bounds the wait.
func (g *genClient) run(ctx context.Context, req genRequest, limit time.Duration) (*genResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("gtpgen run: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/gtpgen/run", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gtpgen run: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := g.http.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("gtpgen run (%s %d B %s): %w", req.Mode, req.Size, req.Direction, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("gtpgen run: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = string(data)
		}
		return nil, fmt.Errorf("gtpgen run (%s %d B %s): %s: %s", req.Mode, req.Size, req.Direction, resp.Status, e.Error)
	}
	var res genResult
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("gtpgen run: decode result: %w", err)
	}
	if res.flow(req.Direction) == nil {
		return nil, fmt.Errorf("gtpgen run (%s %d B %s): the result has no %s flow", req.Mode, req.Size, req.Direction, req.Direction)
	}
	return &res, nil
}

// upfRxPackets scrapes the UPF's corebox_upf_rx_packets_total (summed over
// directions): what its process received. ok is false when the UPF does
// not export it.
func upfRxPackets(ctx context.Context, hc *http.Client, base string) (n float64, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, false, fmt.Errorf("upf metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, fmt.Errorf("upf metrics: %s", resp.Status)
	}
	n, ok, err = sumMetric(resp.Body, "corebox_upf_rx_packets_total")
	if err != nil {
		return 0, false, fmt.Errorf("upf metrics: %w", err)
	}
	return n, ok, nil
}
