package cni

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

const (
	// nftImpairTablePrefix + the interface name is the netdev table that
	// holds one interface's loss rule: one table per interface, so
	// interfaces are impaired and cleared independently and clearing one
	// is a single table deletion, with no "is the shared table empty now"
	// race between two interfaces.
	nftImpairTablePrefix = "corebox_impair_"
	nftImpairChain       = "egress"
	// lossScale: loss is drawn in parts per million.
	lossScale = 1_000_000
)

// nftLoss loses a random ppm parts per million of the packets an
// interface sends, with an nftables chain on the interface's netdev egress
// hook:
//
//	table netdev corebox_impair_<if> {
//	  chain egress {
//	    type filter hook egress device "<if>" priority 0; policy accept;
//	    numgen random mod 1000000 < <ppm> counter fwd to <ifindex 0>
//	  }
//	}
//
// Like netem's loss it acts on egress, on every packet the interface sends
// (routed ones too), before the root qdisc, and the sender cannot tell:
// forwarding to an interface that does not exist frees the packet and
// reports it sent (NF_STOLEN), as netem does with the packets it loses. A
// drop verdict would not do: the sender sees a local drop (NET_XMIT_DROP,
// ENOBUFS on a socket with IP_RECVERR), and TCP resends the segment at
// once, so loss hardly slows it (here 256 KiB over TCP at 8 Mbit/s and 30%
// loss took 0.27 s with drop, as without loss, and 0.3 to 3.4 s with this
// rule).
//
// A ppm of 0 removes the table.
type nftLoss struct {
	ifName string
	ppm    uint32
}

// lossPPM converts a validated percentage; any loss above 0 loses
// something, and only 100% loses everything.
func lossPPM(percent float64) uint32 {
	switch {
	case percent <= 0:
		return 0
	case percent >= 100:
		return lossScale
	}
	return min(max(uint32(math.Round(percent*lossScale/100)), 1), lossScale-1)
}

func (l nftLoss) tableName() string { return nftImpairTablePrefix + l.ifName }

func (l nftLoss) apply(nsFd int) error {
	if l.ppm == 0 {
		return l.remove(nsFd)
	}
	if err := l.transaction().commit(nsFd); err != nil {
		// Missing expression types, families or hooks read as "not
		// supported" (or "no such file": no module to load).
		if nftUnsupported(err) || errors.Is(err, unix.ENOENT) {
			return errorf(ErrImpairmentUnsupported,
				"impair %s: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM), and emulating loss without it needs nftables with netdev egress hooks, random numbers and fwd (CONFIG_NF_TABLES_NETDEV, CONFIG_NETFILTER_EGRESS, CONFIG_NFT_NUMGEN, CONFIG_NFT_FWD_NETDEV), which it lacks too: %v",
				l.ifName, err)
		}
		return fmt.Errorf("add nftables loss rule (table netdev %s): %w", l.tableName(), err)
	}
	return nil
}

// transaction creates the table if it is missing (so that deleting it
// cannot fail), deletes it with whatever an earlier Impair put in it, and
// builds it again: the kernel applies all of it or nothing, and traffic
// meets the old rule or the new one.
func (l nftLoss) transaction() *nftTxn {
	txn := &nftTxn{family: unix.NFPROTO_NETDEV}
	table := func(ae *netlink.AttributeEncoder) error {
		ae.String(unix.NFTA_TABLE_NAME, l.tableName())
		return nil
	}
	txn.add(unix.NFT_MSG_NEWTABLE, netlink.Create, table)
	txn.add(unix.NFT_MSG_DELTABLE, 0, table)
	txn.add(unix.NFT_MSG_NEWTABLE, netlink.Create, table)
	txn.add(unix.NFT_MSG_NEWCHAIN, netlink.Create, func(ae *netlink.AttributeEncoder) error {
		ae.String(unix.NFTA_CHAIN_TABLE, l.tableName())
		ae.String(unix.NFTA_CHAIN_NAME, nftImpairChain)
		ae.Nested(unix.NFTA_CHAIN_HOOK, func(hook *netlink.AttributeEncoder) error {
			hook.Uint32(unix.NFTA_HOOK_HOOKNUM, unix.NF_NETDEV_EGRESS)
			hook.Uint32(unix.NFTA_HOOK_PRIORITY, 0)
			hook.String(unix.NFTA_HOOK_DEV, l.ifName)
			return nil
		})
		ae.Uint32(unix.NFTA_CHAIN_POLICY, uint32(nftables.ChainPolicyAccept))
		ae.String(unix.NFTA_CHAIN_TYPE, string(nftables.ChainTypeFilter))
		return nil
	})
	txn.add(unix.NFT_MSG_NEWRULE, netlink.Create|netlink.Append, func(ae *netlink.AttributeEncoder) error {
		ae.String(unix.NFTA_RULE_TABLE, l.tableName())
		ae.String(unix.NFTA_RULE_CHAIN, nftImpairChain)
		ae.Nested(unix.NFTA_RULE_EXPRESSIONS, l.exprs)
		return nil
	})
	return txn
}

// lossExprs: numgen random mod 1000000 < ppm counter, then the fwd. numgen
// leaves a host-order number in the register and cmp compares bytes, so
// the number is turned to network order first, as nft itself does.
func (l nftLoss) lossExprs() []expr.Any {
	var list []expr.Any
	if l.ppm < lossScale {
		list = append(list,
			&expr.Numgen{Register: 1, Modulus: lossScale, Type: unix.NFT_NG_RANDOM},
			&expr.Byteorder{SourceRegister: 1, DestRegister: 1, Op: expr.ByteorderHton, Len: 4, Size: 4},
			&expr.Cmp{Op: expr.CmpOpLt, Register: 1, Data: binaryutil.BigEndian.PutUint32(l.ppm)})
	}
	return append(list,
		&expr.Counter{},
		// No interface has index 0.
		&expr.Immediate{Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)})
}

// exprs encodes the rule's expression list: lossExprs, then "fwd to the
// interface in register 1", which google/nftables v0.3.0 cannot express.
func (l nftLoss) exprs(list *netlink.AttributeEncoder) error {
	for _, e := range l.lossExprs() {
		list.Do(unix.NLA_F_NESTED|unix.NFTA_LIST_ELEM, func() ([]byte, error) {
			return expr.Marshal(unix.NFPROTO_NETDEV, e)
		})
	}
	list.Nested(unix.NFTA_LIST_ELEM, func(fwd *netlink.AttributeEncoder) error {
		fwd.String(unix.NFTA_EXPR_NAME, "fwd")
		fwd.Nested(unix.NFTA_EXPR_DATA, func(data *netlink.AttributeEncoder) error {
			data.Uint32(unix.NFTA_FWD_SREG_DEV, 1)
			return nil
		})
		return nil
	})
	return nil
}

// remove deletes the interface's table; none (or no nftables at all in
// this kernel, hence nothing of ours) is not an error.
func (l nftLoss) remove(nsFd int) error {
	c, err := nftables.New(nftables.WithNetNSFd(nsFd))
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	c.DelTable(&nftables.Table{Name: l.tableName(), Family: nftables.TableFamilyNetdev})
	err = c.Flush()
	if err == nil || errors.Is(err, unix.ENOENT) || nftUnsupported(err) {
		return nil
	}
	return fmt.Errorf("delete nftables table netdev %s: %w", l.tableName(), err)
}

// nftUnsupported tells the errors of a kernel without the nftables
// features we use: no nfnetlink, no nf_tables, no netdev family, no egress
// hook.
func nftUnsupported(err error) bool {
	return errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EAFNOSUPPORT)
}

// nftTxn is one nf_tables transaction: messages sent as one nfnetlink
// batch, which the kernel applies whole or not at all.
type nftTxn struct {
	family byte
	msgs   []netlink.Message
	err    error
}

func (t *nftTxn) add(msgType uint16, flags netlink.HeaderFlags, attrs func(*netlink.AttributeEncoder) error) {
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	err := attrs(ae)
	data, eerr := ae.Encode()
	if err = errors.Join(err, eerr); err != nil {
		t.err = errors.Join(t.err, fmt.Errorf("encode nftables message %d: %w", msgType, err))
		return
	}
	t.msgs = append(t.msgs, netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | msgType),
			Flags: netlink.Request | netlink.Acknowledge | flags,
		},
		Data: append(nfgenmsg(t.family, 0), data...),
	})
}

// commit sends the batch on a netfilter socket in the namespace nsFd and
// reads one acknowledgement per message; the kernel reports every error
// after the whole batch, and a refused batch changes nothing.
func (t *nftTxn) commit(nsFd int) error {
	if t.err != nil {
		return t.err
	}
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: nsFd})
	if err != nil {
		return fmt.Errorf("netfilter netlink socket: %w", err)
	}
	defer c.Close()
	batch := func(t uint16) netlink.Message {
		return netlink.Message{
			Header: netlink.Header{Type: netlink.HeaderType(t), Flags: netlink.Request},
			Data:   nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
		}
	}
	msgs := append(append([]netlink.Message{batch(unix.NFNL_MSG_BATCH_BEGIN)}, t.msgs...), batch(unix.NFNL_MSG_BATCH_END))
	if _, err := c.SendMessages(msgs); err != nil {
		return fmt.Errorf("send nftables batch: %w", err)
	}
	for acked := 0; acked < len(t.msgs); {
		replies, err := c.Receive() // an error reply comes back as err
		if err != nil {
			return err
		}
		acked += len(replies)
	}
	return nil
}

// nfgenmsg is the header every nfnetlink message starts with.
func nfgenmsg(family byte, resID uint16) []byte {
	return append([]byte{family, unix.NFNETLINK_V0}, binaryutil.BigEndian.PutUint16(resID)...)
}
