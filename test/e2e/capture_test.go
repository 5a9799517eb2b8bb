package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// capture is one lab's pcap, read with tshark and the dissector settings
// its protocols need.
type capture struct {
	t        *testing.T
	pcap     string
	decodeAs []string
	// keepAs, when set, is the name the pcap is kept under in the temp
	// directory when it is not clean.
	keepAs string
}

func (c capture) tshark(args ...string) string {
	c.t.Helper()
	all := append(append([]string{"-r", c.pcap}, c.decodeAs...), args...)
	cmd := exec.Command("tshark", all...)
	var errb strings.Builder
	cmd.Stderr = &errb // tshark warns about running as root there
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("tshark %v: %v\n%s", all, err, errb.String())
	}
	return string(out)
}

// cleanFilter finds what is wrong in a capture. A TCP ACK carrying a
// D-SACK (the receiver saw a segment twice: the kernel retransmitted
// spuriously under load) is TCP's own remark, not a fault in our
// messages, so it is left out.
const cleanFilter = "(_ws.malformed || _ws.expert.severity >= warning) && !tcp.options.sack.dsack_le"

// clean fails the test when tshark finds malformed packets or warnings.
func (c capture) clean() {
	c.t.Helper()
	bad := strings.TrimSpace(c.tshark("-Y", cleanFilter))
	if bad == "" {
		return
	}
	if c.keepAs != "" {
		kept := filepath.Join(os.TempDir(), c.keepAs)
		if data, err := os.ReadFile(c.pcap); err == nil && os.WriteFile(kept, data, 0o644) == nil {
			c.t.Logf("capture kept as %s", kept)
		}
	}
	c.t.Errorf("tshark finds malformed packets or warnings:\n%s", bad)
}

// fields lists the distinct values of field in the packets filter keeps.
func (c capture) fields(filter, field string) []string {
	c.t.Helper()
	var out []string
	for _, line := range strings.Split(c.tshark("-Y", filter, "-T", "fields", "-e", field), "\n") {
		for _, v := range strings.Split(strings.TrimSpace(line), ",") {
			if v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// expect fails the test for each of values missing from field's values
// in the packets filter keeps; a number matches in decimal or as tshark's
// "0x5f".
func (c capture) expect(name, filter, field string, values ...string) {
	c.t.Helper()
	got := c.fields(filter, field)
	for _, v := range values {
		if !slices.Contains(got, v) && !slices.Contains(got, hexOf(v)) {
			c.t.Errorf("%s: %s not in the capture (saw %v)", name, v, got)
		}
	}
}

// hexOf is v (decimal) as tshark prints some fields, "0x5f"; v itself when
// it is not a number.
func hexOf(v string) string {
	n, err := strconv.Atoi(v)
	if err != nil {
		return v
	}
	return "0x" + strconv.FormatInt(int64(n), 16)
}

// decimals writes numbers as expect takes them.
func decimals(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// netSets puts a profile's networks on this run's subnets, from octet on.
func netSets(octet int, networks ...string) []string {
	var out []string
	for i, n := range networks {
		out = append(out, "--set", n+"_subnet="+subnetFor(octet+i))
	}
	return out
}

// epcNetworks are the networks of the epc profile and the labs on it.
var epcNetworks = []string{"sbi", "s1mme", "s1u", "s11", "s5", "sgi", "ims", "diameter", "ran"}
