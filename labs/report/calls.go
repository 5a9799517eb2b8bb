package report

// Calls is a call step's outcome over all its calls.
type Calls struct {
	Calls    int `json:"calls"`
	Answered int `json:"answered"`
	// SetupMs summarises INVITE-to-200 times of the answered calls.
	SetupMs      *Summary  `json:"setup_ms,omitempty"`
	SetupSamples []float64 `json:"setup_samples_ms,omitempty"`
	// Worst values over both directions of every answered call.
	MaxLossRatio float64 `json:"max_loss_ratio"`
	MaxJitterMs  float64 `json:"max_jitter_ms"`
	MinMOS       float64 `json:"min_mos"`
	// BearersGot counts call legs (caller and callee UE) that got a QCI 1
	// bearer; BearersReleased those whose bearer went after the BYE.
	BearersGot      int    `json:"bearers_got"`
	BearersReleased int    `json:"bearers_released"`
	List            []Call `json:"list"`

	media int // directions counted into MinMOS
}

// Call is one call, as its two UEs saw it.
type Call struct {
	CallID  string  `json:"call_id"`
	Caller  string  `json:"caller"` // SUPI
	Callee  string  `json:"callee"` // IMPU
	Status  int     `json:"status"`
	SetupMs float64 `json:"setup_ms"`
	TalkMs  float64 `json:"talk_ms"`
	Error   string  `json:"error,omitempty"`
	// AtCaller is the media the caller received (callee to caller);
	// AtCallee the other direction.
	AtCaller *Media `json:"at_caller,omitempty"`
	AtCallee *Media `json:"at_callee,omitempty"`
}

// Media is one direction of a call and the receiving UE's voice bearer.
type Media struct {
	Received  int     `json:"received"`
	Lost      int     `json:"lost"`
	LossRatio float64 `json:"loss_ratio"`
	JitterMs  float64 `json:"jitter_ms"`
	MOS       float64 `json:"mos"`
	// QCI is the dedicated bearer's (0: the UE got none).
	QCI            uint8   `json:"qci,omitempty"`
	BearerSetupMs  float64 `json:"bearer_setup_ms,omitempty"`
	BearerReleased bool    `json:"bearer_released"`
}

// Add counts one call into the totals.
func (c *Calls) Add(call Call) {
	c.Calls++
	c.List = append(c.List, call)
	if call.Status != 200 {
		return
	}
	c.Answered++
	c.SetupSamples = append(c.SetupSamples, call.SetupMs)
	c.SetupMs = Summarize(c.SetupSamples)
	for _, m := range []*Media{call.AtCaller, call.AtCallee} {
		if m == nil {
			continue
		}
		if c.media == 0 || m.MOS < c.MinMOS {
			c.MinMOS = m.MOS
		}
		c.media++
		c.MaxLossRatio = max(c.MaxLossRatio, m.LossRatio)
		c.MaxJitterMs = max(c.MaxJitterMs, m.JitterMs)
		if m.QCI != 0 {
			c.BearersGot++
		}
		if m.BearerReleased {
			c.BearersReleased++
		}
	}
}

// metric is Step.Metric for the names of a call step.
func (c *Calls) metric(name string) (float64, bool) {
	if c == nil {
		return 0, false
	}
	switch name {
	case "calls":
		return float64(c.Calls), true
	case "answered":
		return float64(c.Answered), true
	case "setup_p50_ms", "setup_p99_ms":
		if c.SetupMs == nil {
			return 0, false
		}
		if name == "setup_p50_ms" {
			return c.SetupMs.P50, true
		}
		return c.SetupMs.P99, true
	case "rtp_loss_ratio":
		return c.MaxLossRatio, c.Answered > 0
	case "jitter_ms":
		return c.MaxJitterMs, c.Answered > 0
	case "mos_min":
		return c.MinMOS, c.Answered > 0
	case "bearers_got":
		return float64(c.BearersGot), true
	case "bearers_released":
		return float64(c.BearersReleased), true
	}
	return 0, false
}
