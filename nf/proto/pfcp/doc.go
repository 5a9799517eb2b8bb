// Package pfcp is corebox's N4/Sx stack (3GPP TS 29.244): the rule model
// the SMF builds and the UPF consumes (Session, PDR, FAR, QER, URR and
// their Update/Remove forms), its conversion to and from the information
// elements of github.com/wmnsk/go-pfcp, and a Node that runs the
// procedures over one UDP socket (port 8805) in the CP role (SMF) or the
// UP role (UPF).
//
// go-pfcp only encodes and decodes. Association, heartbeats and path
// supervision, sequence numbers, retransmission (T1/N1), the duplicate
// request cache and the session tables are ours.
package pfcp
