package smcontext

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// Media types of SBI bodies and parts.
const (
	MediaJSON      = "application/json"
	MediaProblem   = "application/problem+json"
	MediaNAS       = "application/vnd.3gpp.5gnas"
	MediaNGAP      = "application/vnd.3gpp.ngap"
	MediaMultipart = "multipart/related"
)

// Limits on what Decode accepts.
const (
	// MaxParts bounds the parts of one body: JSON plus a few binaries.
	MaxParts = 8
	// MaxBodyBytes bounds a whole body.
	MaxBodyBytes = 1 << 20
)

// ErrMalformed: the body is not a well-formed message of this package.
var ErrMalformed = errors.New("smcontext: malformed body")

// Part is one binary part of a multipart/related body.
type Part struct {
	ID   string // Content-ID, without angle brackets
	Type string // Content-Type, e.g. MediaNAS
	Data []byte
}

// Body is a decoded body: the JSON root and the binary parts.
type Body struct {
	JSON  []byte
	Parts []Part
}

// Part returns the part with Content-ID id.
func (b Body) Part(id string) (Part, bool) {
	id = trimID(id)
	for _, p := range b.Parts {
		if p.ID == id {
			return p, true
		}
	}
	return Part{}, false
}

// Encode builds a body from the JSON document and its binary parts. With
// no parts it is the JSON alone, as application/json; otherwise a
// multipart/related body whose first part (the root) is the JSON.
func Encode(json []byte, parts ...Part) ([]byte, string, error) {
	if len(parts) == 0 {
		return json, MediaJSON, nil
	}
	if len(parts)+1 > MaxParts {
		return nil, "", fmt.Errorf("smcontext: %d binary parts, at most %d", len(parts), MaxParts-1)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := writePart(w, MediaJSON, "", json); err != nil {
		return nil, "", err
	}
	seen := map[string]bool{}
	for _, p := range parts {
		id := trimID(p.ID)
		if id == "" || seen[id] || p.Type == "" {
			return nil, "", fmt.Errorf("smcontext: part %q of type %q: want a unique Content-ID and a type", p.ID, p.Type)
		}
		seen[id] = true
		if err := writePart(w, p.Type, id, p.Data); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", fmt.Errorf("smcontext: close multipart: %w", err)
	}
	ct := mime.FormatMediaType(MediaMultipart, map[string]string{"boundary": w.Boundary(), "type": MediaJSON})
	return buf.Bytes(), ct, nil
}

func writePart(w *multipart.Writer, ctype, id string, data []byte) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", ctype)
	if id != "" {
		h.Set("Content-Id", id)
	}
	pw, err := w.CreatePart(h)
	if err != nil {
		return fmt.Errorf("smcontext: create part %q: %w", id, err)
	}
	if _, err := pw.Write(data); err != nil {
		return fmt.Errorf("smcontext: write part %q: %w", id, err)
	}
	return nil
}

// Decode splits a body by its Content-Type: application/json (or
// problem+json) is the JSON alone; multipart/related yields its JSON root
// (the first application/json part) and its other parts by Content-ID.
func Decode(contentType string, body []byte) (Body, error) {
	if len(body) > MaxBodyBytes {
		return Body{}, fmt.Errorf("%w: body of %d bytes, at most %d", ErrMalformed, len(body), MaxBodyBytes)
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Body{}, fmt.Errorf("%w: content type %q: %w", ErrMalformed, contentType, err)
	}
	switch mt {
	case MediaJSON, MediaProblem:
		return Body{JSON: body}, nil
	case MediaMultipart:
	default:
		return Body{}, fmt.Errorf("%w: content type %q: want %s or %s", ErrMalformed, mt, MediaJSON, MediaMultipart)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return Body{}, fmt.Errorf("%w: multipart without boundary", ErrMalformed)
	}
	return decodeParts(multipart.NewReader(bytes.NewReader(body), boundary))
}

func decodeParts(r *multipart.Reader) (Body, error) {
	var b Body
	haveJSON := false
	for n := 0; ; n++ {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Body{}, fmt.Errorf("%w: part %d: %w", ErrMalformed, n, err)
		}
		if n >= MaxParts {
			return Body{}, fmt.Errorf("%w: more than %d parts", ErrMalformed, MaxParts)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return Body{}, fmt.Errorf("%w: read part %d: %w", ErrMalformed, n, err)
		}
		mt, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			return Body{}, fmt.Errorf("%w: part %d content type: %w", ErrMalformed, n, err)
		}
		if mt == MediaJSON && !haveJSON {
			b.JSON, haveJSON = data, true
			continue
		}
		id := trimID(p.Header.Get("Content-Id"))
		if id == "" {
			return Body{}, fmt.Errorf("%w: part %d (%s) has no Content-ID", ErrMalformed, n, mt)
		}
		if _, dup := b.Part(id); dup {
			return Body{}, fmt.Errorf("%w: Content-ID %q twice", ErrMalformed, id)
		}
		b.Parts = append(b.Parts, Part{ID: id, Type: mt, Data: data})
	}
	if !haveJSON {
		return Body{}, fmt.Errorf("%w: multipart without an %s part", ErrMalformed, MediaJSON)
	}
	return b, nil
}

// trimID drops the angle brackets of an RFC 2392 Content-ID.
func trimID(id string) string {
	id = strings.TrimSpace(id)
	if len(id) >= 2 && id[0] == '<' && id[len(id)-1] == '>' {
		return id[1 : len(id)-1]
	}
	return id
}
