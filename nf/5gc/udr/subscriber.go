package udr

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/corebox/corebox/nf/aka"
)

// Subscriber is one subscriber as the UDR stores it (JSON in bbolt). New
// optional fields (EPC and IMS profiles) can join without a migration: an
// older record simply lacks them.
type Subscriber struct {
	IMSI   string    `json:"imsi"`             // 15 digits
	K      string    `json:"k"`                // 32 hex digits
	OPc    string    `json:"opc"`              // 32 hex digits (OP is never stored)
	AMF    string    `json:"amf"`              // 4 hex digits
	SQN    string    `json:"sqn"`              // 12 hex digits: the last SQN used
	MSISDN string    `json:"msisdn,omitempty"` // digits
	DNNs   []DNN     `json:"dnns"`
	UEAMBR AMBR      `json:"ue_ambr"`
	Update time.Time `json:"updated"`
}

// DNN is one data network the subscriber may use, with its S-NSSAI.
// Default marks the default DNN of its S-NSSAI.
type DNN struct {
	DNN     string `json:"dnn" yaml:"dnn"`
	SST     int    `json:"sst" yaml:"sst"`
	SD      string `json:"sd,omitempty" yaml:"sd"`
	Default bool   `json:"default,omitempty" yaml:"default"`
}

// AMBR is an aggregate bit rate pair as TS 29.571 BitRate strings
// ("1 Gbps").
type AMBR struct {
	Uplink   string `json:"uplink" yaml:"uplink"`
	Downlink string `json:"downlink" yaml:"downlink"`
}

// SUPI is the subscriber's "imsi-<digits>".
func (s Subscriber) SUPI() string { return "imsi-" + s.IMSI }

// View is what listing shows: everything but the keys.
type View struct {
	IMSI   string `json:"imsi"`
	AMF    string `json:"amf"`
	SQN    string `json:"sqn"`
	MSISDN string `json:"msisdn,omitempty"`
	DNNs   []DNN  `json:"dnns"`
	UEAMBR AMBR   `json:"ue_ambr"`
}

// View hides K and OPc.
func (s Subscriber) View() View {
	return View{IMSI: s.IMSI, AMF: s.AMF, SQN: s.SQN, MSISDN: s.MSISDN, DNNs: s.DNNs, UEAMBR: s.UEAMBR}
}

// Provision is the body of POST /provisioning/v1/subscribers.
type Provision struct {
	IMSI   string `json:"imsi"`
	K      string `json:"k"`
	OP     string `json:"op,omitempty"`
	OPc    string `json:"opc,omitempty"`
	AMF    string `json:"amf,omitempty"`
	SQN    string `json:"sqn,omitempty"`
	MSISDN string `json:"msisdn,omitempty"`
	DNNs   []DNN  `json:"dnns,omitempty"`
	UEAMBR *AMBR  `json:"ue_ambr,omitempty"`
}

// Defaults fill what a provisioning request leaves out.
type Defaults struct {
	DNNs   []DNN `yaml:"dnns"`
	UEAMBR AMBR  `yaml:"ue_ambr"`
}

// Default AMF and SQN of a new subscriber.
const (
	DefaultAMF = "8000"
	DefaultSQN = "000000000000"
)

var (
	imsiRe    = regexp.MustCompile(`^[0-9]{15}$`)
	msisdnRe  = regexp.MustCompile(`^[0-9]{5,15}$`)
	dnnRe     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,98}[A-Za-z0-9])?$`)
	bitRateRe = regexp.MustCompile(`^\d+(\.\d+)? (bps|Kbps|Mbps|Gbps|Tbps)$`)
)

// problems collects what is wrong with an input, to say it all at once.
type problems []string

func (p *problems) add(format string, a ...any) { *p = append(*p, fmt.Sprintf(format, a...)) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &InputError{Msg: strings.Join(p, "; ")}
}

// InputError is a provisioning input that cannot be accepted; Msg says
// what to fix.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// NormalizeIMSI accepts "<15 digits>" or "imsi-<15 digits>".
func NormalizeIMSI(s string) (string, error) {
	d := strings.TrimPrefix(strings.TrimSpace(s), "imsi-")
	if !imsiRe.MatchString(d) {
		return "", &InputError{Msg: fmt.Sprintf("imsi %q: must be 15 digits", s)}
	}
	return d, nil
}

// Subscriber checks p and builds the record to store. keepSQN reports that
// p gave no SQN, so replacing an existing subscriber keeps its SQN.
func (p Provision) Subscriber(d Defaults, now time.Time) (s Subscriber, keepSQN bool, err error) {
	var bad problems
	imsi, err := NormalizeIMSI(p.IMSI)
	if err != nil {
		bad.add("%v", err)
	}
	k, ok := hex16("k", p.K, &bad)
	opc := ""
	switch {
	case (p.OP == "") == (p.OPc == ""):
		bad.add("give exactly one of op and opc (32 hex digits)")
	case p.OPc != "":
		if v, vok := hex16("opc", p.OPc, &bad); vok {
			opc = hex.EncodeToString(v)
		}
	default:
		if op, vok := hex16("op", p.OP, &bad); vok && ok {
			c, cerr := aka.ComputeOPc(k, op)
			if cerr != nil {
				bad.add("compute OPc from op: %v", cerr)
			}
			opc = hex.EncodeToString(c)
		}
	}
	amf := normalizeHex("amf", p.AMF, DefaultAMF, 4, &bad)
	sqn := normalizeHex("sqn", p.SQN, DefaultSQN, 12, &bad)
	if p.MSISDN != "" && !msisdnRe.MatchString(p.MSISDN) {
		bad.add("msisdn %q: must be 5 to 15 digits", p.MSISDN)
	}
	dnns := p.DNNs
	if len(dnns) == 0 {
		dnns = d.DNNs
	}
	dnns = checkDNNs(dnns, &bad)
	ambr := d.UEAMBR
	if p.UEAMBR != nil {
		ambr = *p.UEAMBR
	}
	checkAMBR("ue_ambr", ambr, &bad)
	if err := bad.err(); err != nil {
		return Subscriber{}, false, err
	}
	return Subscriber{IMSI: imsi, K: hex.EncodeToString(k), OPc: opc, AMF: amf, SQN: sqn,
		MSISDN: p.MSISDN, DNNs: dnns, UEAMBR: ambr, Update: now.UTC()}, p.SQN == "", nil
}

func hex16(name, s string, bad *problems) ([]byte, bool) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 16 {
		bad.add("%s: must be 32 hex digits", name)
		return nil, false
	}
	return b, true
}

// normalizeHex pads s (at most digits hex digits) to digits, lower case.
func normalizeHex(name, s, dflt string, digits int, bad *problems) string {
	if s == "" {
		return dflt
	}
	if len(s) > digits {
		bad.add("%s %q: must be at most %d hex digits", name, s, digits)
		return ""
	}
	if _, err := strconv.ParseUint(s, 16, 64); err != nil {
		bad.add("%s %q: must be hex digits", name, s)
		return ""
	}
	return strings.Repeat("0", digits-len(s)) + strings.ToLower(s)
}

// checkDNNs validates dnns and makes each S-NSSAI have one default DNN:
// the one marked, else its first.
func checkDNNs(dnns []DNN, bad *problems) []DNN {
	if len(dnns) == 0 {
		bad.add("dnns: at least one dnn is needed")
		return nil
	}
	out := make([]DNN, len(dnns))
	seen := map[DNN]bool{}
	defaults := map[string]int{}
	for i, d := range dnns {
		d.SD = strings.ToLower(d.SD)
		if !dnnRe.MatchString(d.DNN) {
			bad.add("dnns[%d]: dnn %q must be 1 to 100 letters, digits, '-' or '.'", i, d.DNN)
		}
		if d.SST < 1 || d.SST > 255 {
			bad.add("dnns[%d]: sst %d must be 1 to 255", i, d.SST)
		}
		if d.SD != "" {
			if b, err := hex.DecodeString(d.SD); err != nil || len(b) != 3 {
				bad.add("dnns[%d]: sd %q must be 6 hex digits", i, d.SD)
			}
		}
		key := DNN{DNN: d.DNN, SST: d.SST, SD: d.SD}
		if seen[key] {
			bad.add("dnns[%d]: dnn %q with sst %d sd %q is listed twice", i, d.DNN, d.SST, d.SD)
		}
		seen[key] = true
		if d.Default {
			defaults[sliceKey(d)]++
			if defaults[sliceKey(d)] > 1 {
				bad.add("dnns[%d]: only one default dnn per slice (sst %d sd %q)", i, d.SST, d.SD)
			}
		}
		out[i] = d
	}
	for i, d := range out {
		if defaults[sliceKey(d)] == 0 {
			out[i].Default = true
			defaults[sliceKey(d)] = 1
		}
	}
	return out
}

func sliceKey(d DNN) string { return strconv.Itoa(d.SST) + "/" + d.SD }

func checkAMBR(name string, a AMBR, bad *problems) {
	if !bitRateRe.MatchString(a.Uplink) || !bitRateRe.MatchString(a.Downlink) {
		bad.add("%s: uplink %q and downlink %q must be bit rates such as \"1 Gbps\"", name, a.Uplink, a.Downlink)
	}
}

// sqnOf parses the stored SQN.
func sqnOf(s string) (aka.SQN, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || len(s) == 0 || len(s) > 12 {
		return 0, fmt.Errorf("sqn %q: want at most 12 hex digits", s)
	}
	return aka.SQN(v), nil
}
