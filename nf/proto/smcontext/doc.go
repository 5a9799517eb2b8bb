// Package smcontext is the AMF<->SMF message shapes of corebox: the
// multipart/related bodies of TS 29.500 §6.1.2.4 that carry a JSON document
// and the binary N1 (NAS) and N2 (NGAP) parts it references by Content-ID,
// for Nsmf_PDUSession (TS 29.502) SM contexts and Namf_Communication
// (TS 29.518) N1N2MessageTransfer. The JSON documents are the
// free5gc/openapi models; this package fills and resolves their
// RefToBinaryData references, so callers only set the byte slices.
//
// # API
//
// Paths and media types:
//
//	const PathSMContexts = "/nsmf-pdusession/v1/sm-contexts"     // POST: create
//	func ModifyPath(smContextRef string) string                  // POST .../{ref}/modify
//	func ReleasePath(smContextRef string) string                 // POST .../{ref}/release
//	func N1N2Path(ueContextID string) string                     // POST /namf-comm/v1/ue-contexts/{id}/n1-n2-messages
//	const MediaJSON, MediaNAS ("application/vnd.3gpp.5gnas"), MediaNGAP ("application/vnd.3gpp.ngap"), MediaMultipart
//	const IDN1SM, IDN2SM, IDN1, IDN2                             // Content-IDs written
//
// Generic multipart/related bodies (the JSON part first, as the root):
//
//	type Part struct{ ID, Type string; Data []byte }
//	type Body struct{ JSON []byte; Parts []Part }
//	func Encode(json []byte, parts ...Part) (body []byte, contentType string, err error)
//	func Decode(contentType string, body []byte) (Body, error) // application/json alone is a Body without parts
//	func (b Body) Part(id string) (Part, bool)
//
// Typed messages: Encode fills the references (n1SmMsg, n2SmInfo, ...)
// for the byte slices that are set and returns body and Content-Type;
// ParseXxx resolves them back (a reference without its part is an error):
//
//	type CreateRequest  struct{ Data models.Smf_PDUSess_SmContextCreateData; N1SM, N2SM []byte }
//	type CreateResponse struct{ Data models.Smf_PDUSess_SmContextCreatedData; N2SM []byte }   // 201
//	type CreateError    struct{ Data models.Smf_PDUSess_SmContextCreateError; N1SM, N2SM []byte } // 4xx/5xx
//	type UpdateRequest  struct{ Data models.Smf_PDUSess_SmContextUpdateData; N1SM, N2SM []byte }
//	type UpdateResponse struct{ Data models.Smf_PDUSess_SmContextUpdatedData; N1SM, N2SM []byte } // 200
//	type UpdateError    struct{ Data models.Smf_PDUSess_SmContextUpdateError; N1SM, N2SM []byte }
//	type ReleaseRequest struct{ Data models.Smf_PDUSess_SmContextReleaseData; N2SM []byte }
//	type N1N2Request    struct{ Data models.Amf_Comm_N1N2MessageTransferReqData; N1, N2 []byte }
//	func (m *X) Encode() (body []byte, contentType string, err error)
//	func ParseX(contentType string, body []byte) (*X, error)
//	func NewN1N2Request(pduSessionID uint8, snssai *models.Snssai, n1 []byte,
//	    ngapIEType models.Amf_Comm_NgapIeType, n2 []byte) *N1N2Request
//	func (m *N1N2Request) SessionID() uint8 / NgapIEType() models.Amf_Comm_NgapIeType
//
// Over an sbi.Client (the responses a status allows are parsed; other
// errors are returned as they come, *sbi.ProblemError for a status >= 400):
//
//	func Create(ctx, c *sbi.Client, smfRoot string, req *CreateRequest) (*CreateResult, error)
//	    type CreateResult struct{ Status int; Location, Ref string; Created *CreateResponse; Error *CreateError }
//	func Update(ctx, c, smfRoot, ref string, req *UpdateRequest) (*UpdateResult, error)
//	    type UpdateResult struct{ Status int; Updated *UpdateResponse; Error *UpdateError } // 204: both nil
//	func Release(ctx, c, smfRoot, ref string, req *ReleaseRequest) (int, error)
//	func TransferN1N2(ctx, c, amfRoot, ueContextID string, req *N1N2Request) (*N1N2Result, error)
//	    type N1N2Result struct{ Status int; Data models.Amf_Comm_N1N2MessageTransferRspData }
//	func Write(w http.ResponseWriter, status int, m Encoder)  // server side: any typed message
//
// A create, update or transfer error with a binary part (for example the
// PDU Session Establishment Reject of a 403 SmContextCreateError) is a
// multipart body; without one it is plain JSON. Parsers accept both, and
// treat application/problem+json like application/json.
//
// Wireshark: the body is multipart/related with a boundary parameter and
// each part has Content-Type and Content-Id headers, so its HTTP/2 and
// MIME multipart dissectors hand application/vnd.3gpp.5gnas parts to the
// NAS-5GS dissector and application/vnd.3gpp.ngap parts to NGAP (see
// TestTsharkDecodesHTTP2).
package smcontext
