package diameter

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/dict"
)

// RequestHeader is the identity and routing AVPs every request carries.
type RequestHeader struct {
	SessionID        string
	OriginHost       string
	OriginRealm      string
	DestinationHost  string // optional unless the command says otherwise
	DestinationRealm string
}

// AnswerHeader is what every answer carries besides its own AVPs.
type AnswerHeader struct {
	SessionID   string
	OriginHost  string
	OriginRealm string
	Result      Result
}

// Result is a Result-Code, or an Experimental-Result-Code of vendor 3GPP.
type Result struct {
	Code         uint32
	Experimental bool
}

// Success is Result-Code DIAMETER_SUCCESS.
var Success = Result{Code: ResultSuccess}

// Experimental is an Experimental-Result-Code of vendor 3GPP.
func Experimental(code uint32) Result { return Result{Code: code, Experimental: true} }

// OK reports a 2xxx result.
func (r Result) OK() bool { return r.Code >= 2000 && r.Code < 3000 }

func (r Result) String() string {
	if r.Experimental {
		return fmt.Sprintf("Experimental-Result-Code %d", r.Code)
	}
	return fmt.Sprintf("Result-Code %d", r.Code)
}

// Err is nil for a success, else an *AnswerError for cmd.
func (r Result) Err(cmd string) error {
	if r.OK() {
		return nil
	}
	return &AnswerError{Command: cmd, Result: r}
}

func (r Result) avp() *diam.AVP {
	if r.Experimental {
		return group(avpExperimentalResult, u32(avpVendorID, Vendor3GPP), u32(avpExpResultCode, r.Code))
	}
	return u32(avpResultCode, r.Code)
}

// sessionSeq makes Session-Ids unique within this process; the high part
// is the start time, as RFC 6733 8.8 suggests.
var (
	sessionHigh = uint32(time.Now().Unix())
	sessionSeq  atomic.Uint64
)

func init() {
	var b [8]byte
	if _, err := rand.Read(b[:]); err == nil {
		sessionSeq.Store(binary.BigEndian.Uint64(b[:]) >> 32)
	}
}

// NewSessionID is "<originHost>;<high 32 bits>;<low 32 bits>" (RFC 6733
// 8.8), unique for this process.
func NewSessionID(originHost string) string {
	return fmt.Sprintf("%s;%d;%d", originHost, sessionHigh, uint32(sessionSeq.Add(1)))
}

// newMessage starts a message of app and code; Hop-by-Hop and End-to-End
// ids are drawn at random and replaced by the Peer that sends it.
func newMessage(app, code uint32, request bool) *diam.Message {
	flags := uint8(diam.ProxiableFlag)
	if request {
		flags |= diam.RequestFlag
	}
	return diam.NewMessage(code, flags, app, 0, 0, dict.Default)
}

func (h RequestHeader) check(cmd string, needDestHost bool) error {
	for _, f := range []struct{ name, v string }{
		{"Session-Id", h.SessionID}, {"Origin-Host", h.OriginHost},
		{"Origin-Realm", h.OriginRealm}, {"Destination-Realm", h.DestinationRealm},
	} {
		if f.v == "" {
			return fmt.Errorf("diameter: build %s: %s is empty", cmd, f.name)
		}
	}
	if needDestHost && h.DestinationHost == "" {
		return fmt.Errorf("diameter: build %s: Destination-Host is empty", cmd)
	}
	return nil
}

func (h AnswerHeader) check(cmd string) error {
	switch {
	case h.SessionID == "":
		return fmt.Errorf("diameter: build %s: Session-Id is empty", cmd)
	case h.OriginHost == "" || h.OriginRealm == "":
		return fmt.Errorf("diameter: build %s: Origin-Host and Origin-Realm are required", cmd)
	case h.Result.Code == 0:
		return fmt.Errorf("diameter: build %s: no result code", cmd)
	}
	return nil
}

// Session-Id first (RFC 6733 8.8), then the identity AVPs; appIDs go
// between (Auth-Application-Id or Vendor-Specific-Application-Id ...).
func (h RequestHeader) put(m *diam.Message, appIDs ...*diam.AVP) {
	put(m, utf8(avpSessionID, h.SessionID))
	put(m, appIDs...)
	put(m, ident(avpOriginHost, h.OriginHost), ident(avpOriginRealm, h.OriginRealm),
		optIdent(avpDestinationHost, h.DestinationHost), ident(avpDestinationRealm, h.DestinationRealm))
}

func (h AnswerHeader) put(m *diam.Message, appIDs ...*diam.AVP) {
	put(m, utf8(avpSessionID, h.SessionID))
	put(m, appIDs...)
	put(m, h.Result.avp(), ident(avpOriginHost, h.OriginHost), ident(avpOriginRealm, h.OriginRealm))
}

func (r *reader) requestHeader(l avps, needDestHost bool) RequestHeader {
	return RequestHeader{
		SessionID:        r.str(l, avpSessionID, true),
		OriginHost:       r.str(l, avpOriginHost, true),
		OriginRealm:      r.str(l, avpOriginRealm, true),
		DestinationHost:  r.str(l, avpDestinationHost, needDestHost),
		DestinationRealm: r.str(l, avpDestinationRealm, true),
	}
}

func (r *reader) answerHeader(l avps) AnswerHeader {
	return AnswerHeader{
		SessionID:   r.str(l, avpSessionID, true),
		OriginHost:  r.str(l, avpOriginHost, true),
		OriginRealm: r.str(l, avpOriginRealm, true),
		Result:      r.result(l),
	}
}

// result reads Result-Code, else Experimental-Result; one is mandatory.
func (r *reader) result(l avps) Result {
	if l.find(avpResultCode) != nil {
		return Result{Code: r.u32(l, avpResultCode, true)}
	}
	g, ok := r.group(l, avpExperimentalResult, false)
	if !ok {
		r.missing(l, def{name: "Result-Code or Experimental-Result"})
		return Result{}
	}
	return Result{Code: r.u32(g, avpExpResultCode, true), Experimental: true}
}

// ResultOf reads the result of any answer (Result-Code or
// Experimental-Result), for answers without a typed parser.
func ResultOf(m *diam.Message) (Result, error) {
	r := reader{cmd: commandName(m)}
	res := r.result(topLevel(m))
	return res, r.err
}

// Application identification AVPs as each application's grammar wants
// them.
func s6aAppIDs() []*diam.AVP {
	return []*diam.AVP{
		group(avpVendorSpecificApp, u32(avpVendorID, Vendor3GPP), u32(avpAuthAppID, AppS6a)),
		enum(avpAuthSessionState, AuthSessionNoStateMaintained),
	}
}

func authAppID(app uint32) *diam.AVP { return u32(avpAuthAppID, app) }

// checkAuthApp verifies a mandatory Auth-Application-Id.
func (r *reader) checkAuthApp(l avps, app uint32) {
	if got := r.u32(l, avpAuthAppID, true); r.err == nil && got != app {
		r.invalid(l, avpAuthAppID, "%d, want %d", got, app)
	}
}

// commandName is the short name of m's command ("AIR", "CCA" ...), or
// "app/code" for commands our dictionary lacks.
func commandName(m *diam.Message) string {
	if m == nil || m.Header == nil {
		return "none"
	}
	return CommandName(m.Header.ApplicationID, m.Header.CommandCode, m.Header.CommandFlags&diam.RequestFlag != 0)
}

// CommandName is the short name of a command ("AIR", "CCA" ...), or
// "unknown" for commands our dictionary lacks (a bounded metric label).
func CommandName(app, code uint32, request bool) string {
	c, err := dict.Default.FindCommand(app, code)
	if err != nil {
		return "unknown"
	}
	if request {
		return c.Short + "R"
	}
	return c.Short + "A"
}
