package pfcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corebox/corebox/nf/nfkit"
)

// Port is the PFCP UDP port.
const Port = 8805

// Role is the side of N4 a Node plays.
type Role uint8

// Roles.
const (
	RoleCP Role = iota + 1 // control plane: the SMF
	RoleUP                 // user plane: the UPF
)

func (r Role) String() string {
	switch r {
	case RoleCP:
		return "CP"
	case RoleUP:
		return "UP"
	}
	return fmt.Sprintf("role %d", uint8(r))
}

// PacketConn is the datagram socket a Node uses; *net.UDPConn is one.
// Tests wrap it to lose or delay datagrams.
type PacketConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	LocalAddr() net.Addr
	Close() error
}

// UPHandler is what the UPF implements: the Node calls it for session
// requests from associated CP peers, from one goroutine per request.
type UPHandler interface {
	// OnEstablish installs s (UPSEID already allocated). It returns the
	// PDRs whose CHOOSE F-TEIDs it allocated.
	OnEstablish(ctx context.Context, s *Session) ([]CreatedPDR, Cause)
	// OnModify applies m to session m.UPSEID.
	OnModify(ctx context.Context, m *Modification) ([]CreatedPDR, []UsageReport, Cause)
	// OnDelete removes the session and returns its final usage reports.
	OnDelete(ctx context.Context, upSEID uint64) ([]UsageReport, Cause)
}

// SessionReportHandler is the CP side's answer to a Session Report Request.
type SessionReportHandler func(ctx context.Context, peer netip.AddrPort, cpSEID uint64, r *SessionReport) Cause

// PeerInfo describes an associated peer.
type PeerInfo struct {
	Addr         netip.AddrPort
	NodeID       string
	RecoveryTime time.Time
}

// Config configures a Node.
type Config struct {
	Role Role
	// Addr is the UDP listen address (default ":8805"); ignored if Conn is set.
	Addr string
	// Conn, if set, is used instead of listening on Addr; Run closes it.
	Conn PacketConn
	// NodeID is our Node ID: an IPv4 address or an FQDN. Default: the
	// bound address, which must then be a specific IPv4 address.
	NodeID string
	// FSEIDAddr is the IPv4 address in our F-SEIDs. Default: NodeID if it
	// is an IPv4 address, else the bound address.
	FSEIDAddr netip.Addr
	// RecoveryTime is our Recovery Time Stamp (default: now).
	RecoveryTime time.Time
	// T1 and N1: a request is sent again after T1 without response, at
	// most N1 times (defaults 3 s and 3).
	T1 time.Duration
	N1 int
	// HeartbeatInterval between heartbeats to each associated peer
	// (default 10 s); after HeartbeatMissed (default 3) heartbeats
	// without answer in T1 the association is declared down.
	HeartbeatInterval time.Duration
	HeartbeatMissed   int
	// Features are our CP or UP Function Features octets (§8.2.25, §8.2.58).
	Features []byte
	// MaxConcurrent bounds session requests handled at once (default 256).
	MaxConcurrent int

	UP              UPHandler            // required in the UP role
	OnSessionReport SessionReportHandler // CP role; nil accepts every report

	// Callbacks run on the Node's goroutines; they must not block long.
	OnAssociationUp   func(PeerInfo)
	OnAssociationDown func(PeerInfo)
	OnPeerRestart     func(peer PeerInfo, previous time.Time)

	Logger *slog.Logger
}

// Stats are a Node's counters; they only grow.
type Stats struct {
	RxMessages         atomic.Uint64 // datagrams received
	TxMessages         atomic.Uint64 // datagrams sent, retransmissions included
	TxErrors           atomic.Uint64
	Malformed          atomic.Uint64 // dropped: undecodable header or IEs
	Unsupported        atomic.Uint64 // well-formed, but a type or role we do not serve
	RxRequests         atomic.Uint64 // requests handled (answered, whatever the cause)
	RxResponses        atomic.Uint64 // responses matched to a request of ours
	UnmatchedResponses atomic.Uint64 // responses nobody waits for (late or foreign)
	DuplicateRequests  atomic.Uint64 // answered from the cache or dropped as in progress
	Retransmissions    atomic.Uint64 // our requests sent again after T1
	Timeouts           atomic.Uint64 // our requests unanswered after N1 retransmissions
	UnknownSEID        atomic.Uint64 // answered "session context not found"
	HeartbeatsMissed   atomic.Uint64
	AssociationsDown   atomic.Uint64
	PeerRestarts       atomic.Uint64
}

// Node is one PFCP entity on one UDP socket.
type Node struct {
	cfg       Config
	log       *slog.Logger
	conn      PacketConn
	nodeID    string
	fseidAddr netip.Addr
	stats     Stats
	seq       atomic.Uint32

	ctx      context.Context // ends when the node shuts down
	cancel   context.CancelFunc
	wg       sync.WaitGroup // heartbeat loops
	handlers sync.WaitGroup // session request handlers
	sem      chan struct{}

	mu         sync.Mutex
	peers      map[netip.AddrPort]*peer
	pending    map[uint32]*pendingRequest
	cpSessions map[uint64]*cpSession // CP role, by CP SEID
	upSessions map[uint64]*upSession // UP role, by UP SEID
	lastSEID   uint64

	cache   responseCache
	running atomic.Bool
	closing sync.Once
}

// New validates cfg and binds the socket.
func New(cfg Config) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	conn := cfg.Conn
	if conn == nil {
		ua, err := net.ResolveUDPAddr("udp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("pfcp listen %q: %w", cfg.Addr, err)
		}
		uc, err := net.ListenUDP("udp", ua)
		if err != nil {
			return nil, fmt.Errorf("pfcp listen %q: %w", cfg.Addr, err)
		}
		if err := nfkit.GrowUDPBuffers(uc); err != nil {
			uc.Close()
			return nil, fmt.Errorf("pfcp listen %q: %w", cfg.Addr, err)
		}
		conn = uc
	}
	n := &Node{
		cfg:        cfg,
		conn:       conn,
		sem:        make(chan struct{}, cfg.MaxConcurrent),
		peers:      make(map[netip.AddrPort]*peer),
		pending:    make(map[uint32]*pendingRequest),
		cpSessions: make(map[uint64]*cpSession),
		upSessions: make(map[uint64]*upSession),
		cache:      newResponseCache(cfg.T1 * time.Duration(cfg.N1+1)),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if err := n.pickIdentity(); err != nil {
		conn.Close()
		return nil, err
	}
	n.log = cfg.Logger.With("component", "pfcp", "role", cfg.Role.String(), "addr", conn.LocalAddr().String())
	return n, nil
}

func (c *Config) setDefaults() error {
	if c.Role != RoleCP && c.Role != RoleUP {
		return fmt.Errorf("pfcp: %w: %s", ErrWrongRole, c.Role)
	}
	if c.Role == RoleUP && c.UP == nil {
		return errors.New("pfcp: the UP role needs a UPHandler")
	}
	if c.Addr == "" {
		c.Addr = fmt.Sprintf(":%d", Port)
	}
	if c.RecoveryTime.IsZero() {
		c.RecoveryTime = time.Now()
	}
	c.RecoveryTime = c.RecoveryTime.Truncate(time.Second) // the IE holds seconds
	if c.T1 <= 0 {
		c.T1 = 3 * time.Second
	}
	if c.N1 < 0 {
		return fmt.Errorf("pfcp: N1 %d < 0", c.N1)
	}
	if c.N1 == 0 {
		c.N1 = 3
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 10 * time.Second
	}
	if c.HeartbeatMissed <= 0 {
		c.HeartbeatMissed = 3
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 256
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// pickIdentity settles our Node ID and F-SEID address.
func (n *Node) pickIdentity() error {
	var bound netip.Addr
	if ua, ok := n.conn.LocalAddr().(*net.UDPAddr); ok {
		bound = ua.AddrPort().Addr().Unmap()
	}
	n.nodeID = n.cfg.NodeID
	if n.nodeID == "" {
		if !bound.Is4() || bound.IsUnspecified() {
			return fmt.Errorf("pfcp: set NodeID: bound to %v, not a specific IPv4 address", bound)
		}
		n.nodeID = bound.String()
	}
	n.fseidAddr = n.cfg.FSEIDAddr.Unmap()
	if !n.fseidAddr.IsValid() {
		if a, err := netip.ParseAddr(n.nodeID); err == nil && a.Is4() {
			n.fseidAddr = a
		} else if bound.Is4() && !bound.IsUnspecified() {
			n.fseidAddr = bound
		}
	}
	if !n.fseidAddr.Is4() {
		return fmt.Errorf("pfcp: set FSEIDAddr: no IPv4 address for F-SEIDs (node ID %q)", n.nodeID)
	}
	return nil
}

// Stats returns the live counters.
func (n *Node) Stats() *Stats { return &n.stats }

// LocalAddr is the socket's address.
func (n *Node) LocalAddr() netip.AddrPort {
	if ua, ok := n.conn.LocalAddr().(*net.UDPAddr); ok {
		return ua.AddrPort()
	}
	return netip.AddrPort{}
}

// NodeID is our Node ID.
func (n *Node) NodeID() string { return n.nodeID }

// Run reads and handles datagrams until ctx ends, then shuts the node
// down and waits for its goroutines. It returns nil after cancellation.
func (n *Node) Run(ctx context.Context) error {
	if !n.running.CompareAndSwap(false, true) {
		return errors.New("pfcp: Run called twice")
	}
	stop := context.AfterFunc(ctx, n.shutdown)
	defer stop()
	err := n.readLoop()
	n.shutdown()
	n.handlers.Wait()
	n.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Close shuts the node down without Run, or makes Run return.
func (n *Node) Close() error {
	n.shutdown()
	if !n.running.Load() {
		n.handlers.Wait()
		n.wg.Wait()
	}
	return nil
}

func (n *Node) shutdown() {
	n.closing.Do(func() {
		n.cancel()
		if err := n.conn.Close(); err != nil {
			n.log.Debug("closing socket", "err", err)
		}
	})
}

func (n *Node) readLoop() error {
	buf := make([]byte, 65536)
	for {
		l, from, err := n.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || n.ctx.Err() != nil {
				return nil
			}
			n.log.Debug("pfcp read failed", "err", err)
			continue
		}
		n.handleDatagram(buf[:l], netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
	}
}

// goTracked runs f on a goroutine that shutdown waits for.
func goTracked(wg *sync.WaitGroup, f func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		f()
	}()
}
