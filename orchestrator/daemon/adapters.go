package daemon

import (
	"context"

	"github.com/corebox/corebox/cni"
	"github.com/corebox/corebox/platform/container"
	"github.com/corebox/corebox/platform/image"
	"github.com/corebox/corebox/platform/node"
)

// kindLabel names the corenf kind of an NF image.
const kindLabel = "org.corebox.kind"

// images lets the node unpack images from the store.
type images struct{ store *image.Store }

func (i images) Rootfs(ctx context.Context, ref string) (*node.Rootfs, error) {
	r, err := i.store.Unpack(ctx, ref)
	if err != nil {
		return nil, err
	}
	return &node.Rootfs{
		LowerDirs:  r.LowerDirs,
		Entrypoint: r.Config.Entrypoint,
		Cmd:        r.Config.Cmd,
		Env:        r.Config.Env,
		WorkingDir: r.Config.WorkingDir,
		Digest:     r.Digest,
		Kind:       r.Config.Labels[kindLabel],
	}, nil
}

// networks lets the node wire interfaces with the CNI manager.
type networks struct{ m *cni.Manager }

func (n networks) Attach(ctx context.Context, a node.Attach) (*container.Attachment, error) {
	r, err := n.m.Attach(ctx, cni.AttachRequest{ContainerID: a.ContainerID, NetNS: a.NetNS, Network: a.Network, IfName: a.IfName, IP: a.IP})
	if err != nil {
		return nil, err
	}
	return &container.Attachment{Network: r.Network, IfName: r.IfName, Address: r.Address, Gateway: r.Gateway, MAC: r.MAC}, nil
}

func (n networks) Detach(ctx context.Context, a node.Attach) error {
	return n.m.Detach(ctx, cni.AttachRequest{ContainerID: a.ContainerID, NetNS: a.NetNS, Network: a.Network, IfName: a.IfName, IP: a.IP})
}

func (n networks) Impair(netns, ifname string, imp container.Impairment) error {
	return cni.Impair(netns, ifname, cni.Impairment(imp))
}

func (n networks) ClearImpairment(netns, ifname string) error {
	return cni.ClearImpairment(netns, ifname)
}
