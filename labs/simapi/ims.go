package simapi

// The IMS (VoLTE) part of the UE simulator's control API (lte mode, with
// an ims PDN connection):
//
//	POST /ues/ims/register    IMSRegisterRequest   -> Results (Detail: IMPU)
//	POST /ues/ims/deregister  IMSRegisterRequest   -> Results
//	POST /ues/calls           CallRequest          -> Results (Call filled, caller side)
//	GET  /ues/calls                                -> []CallRecord (every call, either side)
//
// A registered UE answers every INVITE it gets (180 then 200) and sends
// RTP until the BYE, whichever side sends it.
const (
	PathIMSRegister   = "/ues/ims/register"
	PathIMSDeregister = "/ues/ims/deregister"
	PathCalls         = "/ues/calls"
)

// IMSRegisterRequest registers UEs to the IMS (IMS-AKA through the
// P-CSCF the network gave in the PCO of the APN's PDN connection), or
// deregisters them (Expires 0).
type IMSRegisterRequest struct {
	Selector
	// APN is the PDN connection SIP rides on (default "ims").
	APN string `json:"apn,omitempty"`
	// TCP asks for SIP over TCP instead of UDP; corebox's UE simulator
	// does not do it yet and answers 400.
	TCP bool `json:"tcp,omitempty"`
}

// CallRequest has each selected UE call its target, talk, and hang up.
// UEs without a target are not part of the step.
type CallRequest struct {
	Selector
	// Targets pairs callers (SUPI) with the callee's IMPU
	// ("sip:001010000000101@ims.mnc001.mcc001.3gppnetwork.org").
	Targets map[string]string `json:"targets"`
	// Talk is how long the call lasts once answered (default 10s).
	Talk Duration `json:"talk,omitempty"`
	// HangUp says who sends the BYE: "caller" (default) or "callee".
	HangUp string `json:"hang_up,omitempty"`
	// BearerWait bounds the wait for the QCI 1 bearer after the answer,
	// and for its release after the BYE (default 5s).
	BearerWait Duration `json:"bearer_wait,omitempty"`
}

// CallOutcome is one call as one of its UEs saw it.
type CallOutcome struct {
	CallID string `json:"call_id"`
	Role   string `json:"role"` // caller or callee
	Peer   string `json:"peer"` // the other side's IMPU
	// Status is the INVITE's final response code (caller side).
	Status int `json:"status,omitempty"`
	// SetupMs is INVITE sent to 200 OK received (caller side).
	SetupMs float64 `json:"setup_ms,omitempty"`
	// TalkMs is how long media ran, 200 OK to BYE.
	TalkMs float64 `json:"talk_ms,omitempty"`
	// RTP is what this UE received from its peer.
	RTP *RTPStats `json:"rtp,omitempty"`
	// Bearer is the dedicated bearer the network set up for the call.
	Bearer *CallBearer `json:"bearer,omitempty"`
	// Ended says the dialog is over (BYE sent or received, and answered).
	Ended bool `json:"ended"`
	// Error says what failed, when something did.
	Error string `json:"error,omitempty"`
}

// RTPStats is one direction of a call's media, measured at the receiver.
type RTPStats struct {
	Sent     int `json:"sent"`     // packets this UE sent
	Received int `json:"received"` // packets this UE received
	Expected int `json:"expected"` // highest - first sequence number + 1
	Lost     int `json:"lost"`     // expected - received (never negative)
	// LossRatio is lost / expected.
	LossRatio float64 `json:"loss_ratio"`
	// JitterMs is the RFC 3550 interarrival jitter at the end of the call.
	JitterMs float64 `json:"jitter_ms"`
	// MOS is an estimate from the ITU-T G.107 E-model (G.711, the
	// measured loss, jitter and one-way delay).
	MOS float64 `json:"mos"`
}

// CallBearer is the dedicated EPS bearer a call got.
type CallBearer struct {
	EBI uint8 `json:"ebi"`
	QCI uint8 `json:"qci"`
	// SetupMs is 200 OK to the bearer's activation (negative: before it).
	SetupMs float64 `json:"setup_ms"`
	// Released says the bearer was deactivated after the call.
	Released bool `json:"released"`
}

// CallRecord is one UE's call, as GET /ues/calls lists it.
type CallRecord struct {
	SUPI string `json:"supi"`
	IMPU string `json:"impu"`
	CallOutcome
}
