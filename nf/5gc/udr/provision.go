package udr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi"
)

// ProvisioningPath is where the provisioning API lives on the ops server.
const ProvisioningPath = "/provisioning/v1/subscribers"

// Body limits: one subscriber is well under 64 KiB; an import of a
// million rows is about 100 MiB, so imports go in slices of 64 MiB.
const (
	maxProvisionBody = 64 << 10
	maxImportBody    = 64 << 20
)

func (n *NF) provisioningRoutes() {
	h := func(f http.HandlerFunc) http.Handler { return n.metrics.Wrap("provisioning", f) }
	n.ops.Handle("POST "+ProvisioningPath, h(n.postSubscriber))
	n.ops.Handle("GET "+ProvisioningPath, h(n.listSubscribers))
	n.ops.Handle("GET "+ProvisioningPath+"/{imsi}", h(n.getSubscriber))
	n.ops.Handle("DELETE "+ProvisioningPath+"/{imsi}", h(n.deleteSubscriber))
	n.ops.Handle("POST "+ProvisioningPath+"/import", h(n.importSubscribers))
}

// errorBody is every provisioning error: {"error": "what to fix"}.
type errorBody struct {
	Error string `json:"error"`
}

func provError(w http.ResponseWriter, code int, format string, a ...any) {
	nfkit.WriteJSON(w, code, errorBody{Error: fmt.Sprintf(format, a...)})
}

// openStore is the database, or a 503 answered.
func (n *NF) openStore(w http.ResponseWriter) *Store {
	s := n.store.Load()
	if s == nil {
		provError(w, http.StatusServiceUnavailable, "the database is not open yet")
	}
	return s
}

// DecodeProvision strictly decodes a provisioning body: unknown fields,
// trailing data and wrong types are errors that name the problem.
func DecodeProvision(data []byte) (Provision, error) {
	var p Provision
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Provision{}, &InputError{Msg: "body: " + jsonMessage(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Provision{}, &InputError{Msg: "body: trailing data after the JSON object"}
	}
	return p, nil
}

func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s must be a JSON %s", te.Field, jsonKind(te.Type.Kind().String()))
	}
	if errors.Is(err, io.EOF) {
		return "empty; want a JSON object"
	}
	return err.Error()
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32":
		return "number"
	case "slice":
		return "array"
	case "struct", "ptr":
		return "object"
	}
	return k
}

func (n *NF) postSubscriber(w http.ResponseWriter, r *http.Request) {
	st := n.openStore(w)
	if st == nil {
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxProvisionBody))
	if err != nil {
		n.badProvision(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes or unreadable: %w", maxProvisionBody, err))
		return
	}
	p, err := DecodeProvision(data)
	if err != nil {
		n.badProvision(w, r, http.StatusBadRequest, err)
		return
	}
	sub, keepSQN, err := p.Subscriber(n.cfg.Defaults, time.Now())
	if err != nil {
		n.badProvision(w, r, http.StatusBadRequest, err)
		return
	}
	replace := r.URL.Query().Get("replace") == "true"
	replaced, err := st.Put(sub, replace, keepSQN)
	switch {
	case errors.Is(err, ErrExists):
		provError(w, http.StatusConflict, "subscriber %s exists; add ?replace=true to overwrite it", sub.IMSI)
		return
	case err != nil:
		n.log.Error("store subscriber", "imsi", sub.IMSI, "err", err)
		provError(w, http.StatusInternalServerError, "store subscriber: %v", err)
		return
	}
	stored, err := st.Get(sub.IMSI)
	if err != nil {
		provError(w, http.StatusInternalServerError, "read back subscriber: %v", err)
		return
	}
	n.log.Info("subscriber provisioned", "imsi", sub.IMSI, "replaced", replaced)
	code := http.StatusCreated
	if replaced {
		code = http.StatusOK
	}
	w.Header().Set("Location", ProvisioningPath+"/"+sub.IMSI)
	nfkit.WriteJSON(w, code, stored.View())
}

func (n *NF) badProvision(w http.ResponseWriter, r *http.Request, code int, err error) {
	sbi.Malformed(r, err)
	provError(w, code, "%v", err)
}

func (n *NF) listSubscribers(w http.ResponseWriter, _ *http.Request) {
	st := n.openStore(w)
	if st == nil {
		return
	}
	views := make([]View, 0, st.Count())
	if err := st.List(func(s Subscriber) error { views = append(views, s.View()); return nil }); err != nil {
		n.log.Error("list subscribers", "err", err)
		provError(w, http.StatusInternalServerError, "list subscribers: %v", err)
		return
	}
	nfkit.WriteJSON(w, http.StatusOK, views)
}

func (n *NF) getSubscriber(w http.ResponseWriter, r *http.Request) {
	st := n.openStore(w)
	if st == nil {
		return
	}
	imsi, err := NormalizeIMSI(r.PathValue("imsi"))
	if err != nil {
		n.badProvision(w, r, http.StatusBadRequest, err)
		return
	}
	sub, err := st.Get(imsi)
	if errors.Is(err, ErrNotFound) {
		provError(w, http.StatusNotFound, "no subscriber %s", imsi)
		return
	}
	if err != nil {
		provError(w, http.StatusInternalServerError, "read subscriber: %v", err)
		return
	}
	nfkit.WriteJSON(w, http.StatusOK, sub.View())
}

func (n *NF) deleteSubscriber(w http.ResponseWriter, r *http.Request) {
	st := n.openStore(w)
	if st == nil {
		return
	}
	imsi, err := NormalizeIMSI(r.PathValue("imsi"))
	if err != nil {
		n.badProvision(w, r, http.StatusBadRequest, err)
		return
	}
	err = st.Delete(imsi)
	switch {
	case errors.Is(err, ErrNotFound):
		provError(w, http.StatusNotFound, "no subscriber %s", imsi)
	case err != nil:
		provError(w, http.StatusInternalServerError, "delete subscriber: %v", err)
	default:
		n.log.Info("subscriber deleted", "imsi", imsi)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (n *NF) importSubscribers(w http.ResponseWriter, r *http.Request) {
	st := n.openStore(w)
	if st == nil {
		return
	}
	if ct := r.Header.Get("Content-Type"); !looksLikeCSV(ct) {
		n.badProvision(w, r, http.StatusUnsupportedMediaType, fmt.Errorf("content type %q: send text/csv", ct))
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxImportBody))
	if err != nil {
		n.badProvision(w, r, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes or unreadable: %w", maxImportBody, err))
		return
	}
	batch, err := ParseCSV(bytes.NewReader(trimBOM(data)), n.cfg.Defaults, time.Now())
	if err != nil {
		n.badProvision(w, r, http.StatusBadRequest, err)
		return
	}
	res := ImportResult{Errors: batch.Errors}
	if res.Errors == nil {
		res.Errors = []ImportError{}
	}
	if len(batch.Subs) > 0 {
		if res.Added, res.Replaced, err = st.Import(batch.Subs, batch.KeepSQN); err != nil {
			n.log.Error("import subscribers", "err", err)
			provError(w, http.StatusInternalServerError, "store imported subscribers: %v", err)
			return
		}
	}
	if len(res.Errors) > 0 {
		sbi.Malformed(r, fmt.Errorf("%d csv rows skipped", len(res.Errors)))
	}
	n.log.Info("subscribers imported", "added", res.Added, "replaced", res.Replaced, "skipped", len(res.Errors))
	nfkit.WriteJSON(w, http.StatusOK, res)
}
