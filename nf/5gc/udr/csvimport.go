package udr

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ImportResult answers POST /provisioning/v1/subscribers/import.
type ImportResult struct {
	Added    int           `json:"added"`
	Replaced int           `json:"replaced"`
	Errors   []ImportError `json:"errors"`
}

// ImportError is one CSV line that was skipped, and why.
type ImportError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// CSV columns: imsi, k, dnn and sst are required; the rest may be absent.
var (
	csvColumns  = []string{"imsi", "k", "op", "opc", "amf", "sqn", "dnn", "sst", "sd", "msisdn", "default"}
	csvRequired = []string{"imsi", "k", "dnn", "sst"}
	keyColumns  = []string{"k", "op", "opc", "amf", "sqn", "msisdn"}
)

// Batch is a parsed CSV import: subscribers in order of first appearance.
type Batch struct {
	Subs    []Subscriber
	KeepSQN []bool // KeepSQN[i]: the rows of Subs[i] gave no sqn
	Errors  []ImportError
}

// group is one IMSI's accepted rows.
type group struct {
	first int               // line of its first accepted row
	base  map[string]string // key columns of the first accepted row
	dnns  []DNN
	sub   Subscriber
}

// ParseCSV reads a CSV import (header imsi,k,op,opc,amf,sqn,dnn,sst,sd in
// any order, plus optional msisdn and default). Several rows of one IMSI
// add DNNs. A bad row is reported with its line and skipped; only an
// unusable header or an unreadable stream is an error.
func ParseCSV(r io.Reader, d Defaults, now time.Time) (Batch, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return Batch{}, &InputError{Msg: "csv: empty; want a header line imsi,k,op,opc,amf,sqn,dnn,sst,sd"}
	}
	if err != nil {
		return Batch{}, &InputError{Msg: fmt.Sprintf("csv header: %v", err)}
	}
	cols, err := csvHeader(header)
	if err != nil {
		return Batch{}, err
	}
	var b Batch
	groups := map[string]*group{}
	var order []string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			b.Errors = append(b.Errors, ImportError{Line: pe.Line, Error: pe.Err.Error()})
			continue
		}
		if err != nil {
			return Batch{}, fmt.Errorf("read csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(cols) {
			b.Errors = append(b.Errors, ImportError{Line: line,
				Error: fmt.Sprintf("%d fields, the header has %d", len(rec), len(cols))})
			continue
		}
		row := map[string]string{}
		for i, c := range cols {
			row[c] = strings.TrimSpace(rec[i])
		}
		imsi, err := NormalizeIMSI(row["imsi"])
		if err != nil {
			b.Errors = append(b.Errors, ImportError{Line: line, Error: err.Error()})
			continue
		}
		g := groups[imsi]
		if err := addRow(&g, row, line, d, now); err != nil {
			b.Errors = append(b.Errors, ImportError{Line: line, Error: err.Error()})
			continue
		}
		if groups[imsi] == nil {
			groups[imsi] = g
			order = append(order, imsi)
		}
	}
	for _, imsi := range order {
		g := groups[imsi]
		b.Subs = append(b.Subs, g.sub)
		b.KeepSQN = append(b.KeepSQN, g.base["sqn"] == "")
	}
	return b, nil
}

func csvHeader(header []string) ([]string, error) {
	cols := make([]string, len(header))
	for i, h := range header {
		c := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(csvColumns, c) {
			return nil, &InputError{Msg: fmt.Sprintf("csv header: unknown column %q (known: %s)", h, strings.Join(csvColumns, ","))}
		}
		if slices.Contains(cols[:i], c) {
			return nil, &InputError{Msg: fmt.Sprintf("csv header: column %q twice", c)}
		}
		cols[i] = c
	}
	for _, c := range csvRequired {
		if !slices.Contains(cols, c) {
			return nil, &InputError{Msg: fmt.Sprintf("csv header: column %q is missing (need %s)", c, strings.Join(csvRequired, ","))}
		}
	}
	return cols, nil
}

// addRow validates row against the IMSI's group so far (*g, nil for the
// first row) and, if good, adds it.
func addRow(g **group, row map[string]string, line int, d Defaults, now time.Time) error {
	base := row
	var dnns []DNN
	if *g != nil {
		base = (*g).base
		for _, c := range keyColumns {
			if row[c] != "" && !strings.EqualFold(row[c], base[c]) {
				return fmt.Errorf("imsi %s: %s differs from line %d (repeat it or leave it empty)", row["imsi"], c, (*g).first)
			}
		}
		dnns = slices.Clone((*g).dnns)
	}
	if row["dnn"] != "" || row["sst"] != "" || row["sd"] != "" {
		dnn, err := rowDNN(row)
		if err != nil {
			return err
		}
		dnns = append(dnns, dnn)
	}
	p := Provision{IMSI: row["imsi"], K: base["k"], OP: base["op"], OPc: base["opc"], AMF: base["amf"],
		SQN: base["sqn"], MSISDN: base["msisdn"], DNNs: dnns}
	sub, _, err := p.Subscriber(d, now)
	if err != nil {
		return err
	}
	if *g == nil {
		*g = &group{first: line, base: row}
	}
	(*g).dnns, (*g).sub = dnns, sub
	return nil
}

func rowDNN(row map[string]string) (DNN, error) {
	sst, err := strconv.Atoi(row["sst"])
	if err != nil {
		return DNN{}, fmt.Errorf("sst %q: must be a number 1 to 255", row["sst"])
	}
	dflt := false
	if v := row["default"]; v != "" {
		if dflt, err = strconv.ParseBool(v); err != nil {
			return DNN{}, fmt.Errorf("default %q: want true or false", v)
		}
	}
	return DNN{DNN: row["dnn"], SST: sst, SD: row["sd"], Default: dflt}, nil
}

// looksLikeCSV accepts text/csv and plain text bodies.
func looksLikeCSV(ctype string) bool {
	mt, _, _ := strings.Cut(ctype, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	return mt == "" || mt == "text/csv" || mt == "text/plain" || mt == "application/csv"
}

// trimBOM drops a UTF-8 byte order mark some spreadsheets write.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\ufeff")) }
