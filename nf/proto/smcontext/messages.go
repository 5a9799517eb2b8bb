package smcontext

import (
	"encoding/json"
	"fmt"

	"github.com/free5gc/openapi/models"
)

// Content-IDs this package writes (peers may use any; parsers follow the
// references in the JSON).
const (
	IDN1SM = "n1SmMsg"  // Nsmf: the 5GSM message
	IDN2SM = "n2SmInfo" // Nsmf: the NGAP SM information
	IDN1   = "n1Msg"    // Namf N1N2MessageTransfer: n1MessageContent
	IDN2   = "n2Info"   // Namf N1N2MessageTransfer: ngapData
)

// Encoder is any typed message of this package.
type Encoder interface {
	Encode() (body []byte, contentType string, err error)
}

// binRef ties a RefToBinaryData slot in a JSON document to the bytes it
// names.
type binRef struct {
	slot  **models.RefToBinaryData
	data  *[]byte
	id    string
	media string
}

func n1SM(slot **models.RefToBinaryData, data *[]byte) binRef {
	return binRef{slot: slot, data: data, id: IDN1SM, media: MediaNAS}
}

func n2SM(slot **models.RefToBinaryData, data *[]byte) binRef {
	return binRef{slot: slot, data: data, id: IDN2SM, media: MediaNGAP}
}

// encodeWith sets each reference whose bytes are present (clearing the
// others) and encodes the document with its parts.
func encodeWith(doc any, refs []binRef) ([]byte, string, error) {
	var parts []Part
	for _, r := range refs {
		if len(*r.data) == 0 {
			*r.slot = nil
			continue
		}
		*r.slot = &models.RefToBinaryData{ContentId: r.id}
		parts = append(parts, Part{ID: r.id, Type: r.media, Data: *r.data})
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, "", fmt.Errorf("smcontext: encode %T: %w", doc, err)
	}
	return Encode(js, parts...)
}

// decodeWith decodes the JSON root into doc, then resolves the references
// that refs (called after the JSON is in place) finds.
func decodeWith(contentType string, body []byte, doc any, refs func() []binRef) error {
	b, err := Decode(contentType, body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b.JSON, doc); err != nil {
		return fmt.Errorf("%w: JSON %T: %w", ErrMalformed, doc, err)
	}
	for _, r := range refs() {
		if *r.slot == nil {
			continue
		}
		id := (*r.slot).ContentId
		p, ok := b.Part(id)
		if !ok {
			return fmt.Errorf("%w: %T references Content-ID %q, which is not in the body", ErrMalformed, doc, id)
		}
		*r.data = p.Data
	}
	return nil
}

// CreateRequest is the body of Nsmf_PDUSession CreateSMContext: the
// SmContextCreateData and the 5GSM PDU Session Establishment Request.
type CreateRequest struct {
	Data models.Smf_PDUSess_SmContextCreateData
	N1SM []byte
	N2SM []byte
}

func (m *CreateRequest) refs() []binRef {
	return []binRef{n1SM(&m.Data.N1SmMsg, &m.N1SM), n2SM(&m.Data.N2SmInfo, &m.N2SM)}
}

// Encode returns the body and its Content-Type.
func (m *CreateRequest) Encode() ([]byte, string, error) { return encodeWith(&m.Data, m.refs()) }

// ParseCreateRequest decodes a CreateSMContext request body.
func ParseCreateRequest(contentType string, body []byte) (*CreateRequest, error) {
	m := &CreateRequest{}
	return m, decodeWith(contentType, body, &m.Data, m.refs)
}

// CreateResponse is the 201 body of CreateSMContext.
type CreateResponse struct {
	Data models.Smf_PDUSess_SmContextCreatedData
	N2SM []byte
}

func (m *CreateResponse) refs() []binRef { return []binRef{n2SM(&m.Data.N2SmInfo, &m.N2SM)} }

// Encode returns the body and its Content-Type.
func (m *CreateResponse) Encode() ([]byte, string, error) { return encodeWith(&m.Data, m.refs()) }

// ParseCreateResponse decodes a 201 CreateSMContext body.
func ParseCreateResponse(contentType string, body []byte) (*CreateResponse, error) {
	m := &CreateResponse{}
	return m, decodeWith(contentType, body, &m.Data, m.refs)
}

// CreateError is the error body of CreateSMContext, e.g. a 403 with the
// PDU Session Establishment Reject as N1SM.
type CreateError struct {
	Data models.Smf_PDUSess_SmContextCreateError
	N1SM []byte
	N2SM []byte
}

func (m *CreateError) refs() []binRef {
	return []binRef{n1SM(&m.Data.N1SmMsg, &m.N1SM), n2SM(&m.Data.N2SmInfo, &m.N2SM)}
}

// Encode returns the body and its Content-Type.
func (m *CreateError) Encode() ([]byte, string, error) { return encodeWith(&m.Data, m.refs()) }

// ParseCreateError decodes a CreateSMContext error body.
func ParseCreateError(contentType string, body []byte) (*CreateError, error) {
	m := &CreateError{}
	return m, decodeWith(contentType, body, &m.Data, m.refs)
}

// UpdateRequest is the body of UpdateSMContext (POST .../modify).
type UpdateRequest struct {
	Data models.Smf_PDUSess_SmContextUpdateData
	N1SM []byte
	N2SM []byte
}

func (m *UpdateRequest) refs() []binRef {
	return []binRef{n1SM(&m.Data.N1SmMsg, &m.N1SM), n2SM(&m.Data.N2SmInfo, &m.N2SM)}
}

// Encode returns the body and its Content-Type.
func (m *UpdateRequest) Encode() ([]byte, string, error) { return encodeWith(&m.Data, m.refs()) }

// ParseUpdateRequest decodes an UpdateSMContext request body.
func ParseUpdateRequest(contentType string, body []byte) (*UpdateRequest, error) {
	m := &UpdateRequest{}
	return m, decodeWith(contentType, body, &m.Data, m.refs)
}

// UpdateResponse is the 200 body of UpdateSMContext.
type UpdateResponse struct {
	Data models.Smf_PDUSess_SmContextUpdatedData
	N1SM []byte
	N2SM []byte
}

func (m *UpdateResponse) refs() []binRef {
	return []binRef{n1SM(&m.Data.N1SmMsg, &m.N1SM), n2SM(&m.Data.N2SmInfo, &m.N2SM)}
}

// Encode returns the body and its Content-Type.
func (m *UpdateResponse) Encode() ([]byte, string, error) { return encodeWith(&m.Data, m.refs()) }

// ParseUpdateResponse decodes a 200 UpdateSMContext body.
func ParseUpdateResponse(contentType string, body []byte) (*UpdateResponse, error) {
	m := &UpdateResponse{}
	return m, decodeWith(contentType, body, &m.Data, m.refs)
}

// UpdateError is the error body of UpdateSMContext.
type UpdateError struct {
	Data models.Smf_PDUSess_SmContextUpdateError
	N1SM []byte
	N2SM []byte
}

func (m *UpdateError) refs() []binRef {
	return []binRef{n1SM(&m.Data.N1SmMsg, &m.N1SM), n2SM(&m.Data.N2SmInfo, &m.N2SM)}
}

// Encode returns the body and its Content-Type.
func (m *UpdateError) Encode() ([]byte, string, error) { return encodeWith(&m.Data, m.refs()) }

// ParseUpdateError decodes an UpdateSMContext error body.
func ParseUpdateError(contentType string, body []byte) (*UpdateError, error) {
	m := &UpdateError{}
	return m, decodeWith(contentType, body, &m.Data, m.refs)
}

// ReleaseRequest is the body of ReleaseSMContext (POST .../release).
type ReleaseRequest struct {
	Data models.Smf_PDUSess_SmContextReleaseData
	N2SM []byte
}

func (m *ReleaseRequest) refs() []binRef { return []binRef{n2SM(&m.Data.N2SmInfo, &m.N2SM)} }

// Encode returns the body and its Content-Type.
func (m *ReleaseRequest) Encode() ([]byte, string, error) { return encodeWith(&m.Data, m.refs()) }

// ParseReleaseRequest decodes a ReleaseSMContext body (an empty body is a
// release without data).
func ParseReleaseRequest(contentType string, body []byte) (*ReleaseRequest, error) {
	m := &ReleaseRequest{}
	if len(body) == 0 {
		return m, nil
	}
	return m, decodeWith(contentType, body, &m.Data, m.refs)
}
