package main

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/platform/container"
)

type runFlags struct {
	image, name, memory, config, configPath, entrypoint string
	nets, volumes, caps, devices, sysctls, env, labels  []string
	cpus                                                float64
	pids                                                int64
}

func newRunCmd(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run --image IMG --name NAME [--net NET[:ADDR]]... [flags] [-- ARGS...]",
		Short: "Create and start a container",
		Example: `  corebox run --image corebox/dn:dev --name dn1 --net n6
  corebox run --image corebox/probe:dev --name p1 --net n3:10.100.3.7 --net n6 --cpus 1.5 --memory 256Mi
  corebox run --image corebox/dn:dev --name x --net a -- -c /etc/corebox/dn.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := f.spec(args)
			if err != nil {
				return err
			}
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			ctr, err := c.Run(cmd.Context(), *spec)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s started (id %s, pid %d)\n", ctr.Spec.Name, ctr.ID, ctr.Pid)
			for _, a := range ctr.Attachments {
				fmt.Fprintf(cmd.OutOrStdout(), "  %-8s %s on %s\n", a.IfName, a.Address, a.Network)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.image, "image", "", "image to run (see `corebox image ls`)")
	fl.StringVar(&f.name, "name", "", "container name")
	fl.StringArrayVar(&f.nets, "net", nil, "network to attach, NET or NET:ADDR for a static address (repeatable)")
	fl.StringArrayVar(&f.volumes, "volume", nil, "named volume, NAME:/path[:ro] (repeatable)")
	fl.Float64Var(&f.cpus, "cpus", 0, "CPU limit, e.g. 1.5")
	fl.StringVar(&f.memory, "memory", "", "memory limit, e.g. 256Mi")
	fl.Int64Var(&f.pids, "pids", 0, "process limit")
	fl.StringArrayVar(&f.caps, "cap", nil, "extra capability, e.g. NET_ADMIN (repeatable)")
	fl.StringArrayVar(&f.devices, "device", nil, "host device to expose, e.g. /dev/net/tun (repeatable)")
	fl.StringArrayVar(&f.sysctls, "sysctl", nil, "net.* sysctl inside the container, KEY=VALUE (repeatable)")
	fl.StringArrayVar(&f.env, "env", nil, "environment variable, KEY=VALUE (repeatable)")
	fl.StringArrayVar(&f.labels, "label", nil, "label, KEY=VALUE (repeatable)")
	fl.StringVar(&f.config, "config", "", "NF config file, mounted read-only at /etc/corebox/<kind>.yaml")
	fl.StringVar(&f.configPath, "config-path", "", "where to mount --config in the container (for images without a corenf kind)")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "replace the image's entrypoint")
	return cmd
}

func (f *runFlags) spec(args []string) (*container.Spec, error) {
	if f.name == "" {
		return nil, fmt.Errorf("--name is required")
	}
	if f.image == "" {
		return nil, fmt.Errorf("--image is required (see `corebox image ls`)")
	}
	s := &container.Spec{Name: f.name, Image: f.image, Args: args, Capabilities: f.caps, Devices: f.devices, Env: f.env, ConfigPath: f.configPath}
	if f.entrypoint != "" {
		s.Entrypoint = []string{f.entrypoint}
	}
	for _, n := range f.nets {
		req, err := parseNet(n)
		if err != nil {
			return nil, err
		}
		s.Networks = append(s.Networks, req)
	}
	for _, v := range f.volumes {
		vol, err := parseVolume(v)
		if err != nil {
			return nil, err
		}
		s.Volumes = append(s.Volumes, vol)
	}
	var err error
	if s.Sysctls, err = keyValues("--sysctl", f.sysctls); err != nil {
		return nil, err
	}
	if s.Labels, err = keyValues("--label", f.labels); err != nil {
		return nil, err
	}
	s.Resources = container.Resources{CPUs: f.cpus, Pids: f.pids}
	if f.memory != "" {
		if s.Resources.MemoryBytes, err = parseBytes(f.memory); err != nil {
			return nil, fmt.Errorf("--memory: %w", err)
		}
	}
	if f.config != "" {
		if s.Config, err = os.ReadFile(f.config); err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
	}
	return s, nil
}

func parseNet(v string) (container.NetRequest, error) {
	name, addr, hasAddr := strings.Cut(v, ":")
	req := container.NetRequest{Network: name}
	if name == "" {
		return req, fmt.Errorf("--net %q: give a network name, e.g. --net n3 or --net n3:10.100.3.7", v)
	}
	if hasAddr {
		ip, err := netip.ParseAddr(addr)
		if err != nil || !ip.Is4() {
			return req, fmt.Errorf("--net %q: %q is not an IPv4 address (e.g. --net n3:10.100.3.7)", v, addr)
		}
		req.IP = ip
	}
	return req, nil
}

func parseVolume(v string) (container.Volume, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || (len(parts) == 3 && parts[2] != "ro") {
		return container.Volume{}, fmt.Errorf("--volume %q: use NAME:/path or NAME:/path:ro", v)
	}
	return container.Volume{Name: parts[0], Path: parts[1], ReadOnly: len(parts) == 3}, nil
}

func keyValues(flag string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: use KEY=VALUE", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}
