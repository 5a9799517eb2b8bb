package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/cni"
	"github.com/corebox/corebox/orchestrator/api"
)

func newNetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "net", Short: "Manage networks (one per NF interface: n2, n3, sbi ...)"}
	cmd.AddCommand(newNetCreateCmd(g), newNetLsCmd(g), newNetRmCmd(g), newNetImpairCmd(g), newNetInstallCmd(g))
	return cmd
}

func newNetCreateCmd(g *globals) *cobra.Command {
	spec := cni.NetworkSpec{}
	var noGateway bool
	cmd := &cobra.Command{
		Use:     "create NAME --subnet CIDR [--type bridge|macvlan --master IF] [--mtu N]",
		Short:   "Create a network",
		Example: "  corebox net create n3 --subnet 10.100.3.0/24\n  corebox net create ran --subnet 192.168.50.0/24 --type macvlan --master eth1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec.Name = args[0]
			spec.Gateway = spec.Type != cni.TypeMacvlan && !noGateway
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			n, err := c.CreateNetwork(cmd.Context(), spec)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s (%s", n.Name, n.Subnet, n.Type)
			if n.Bridge != "" {
				fmt.Fprintf(cmd.OutOrStdout(), ", bridge %s", n.Bridge)
			}
			if n.Gateway.IsValid() {
				fmt.Fprintf(cmd.OutOrStdout(), ", host %s", n.Gateway)
			}
			fmt.Fprintln(cmd.OutOrStdout(), ")")
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&spec.Subnet, "subnet", "", "IPv4 subnet, e.g. 10.100.3.0/24")
	fl.StringVar(&spec.Type, "type", cni.TypeBridge, "bridge or macvlan")
	fl.StringVar(&spec.Master, "master", "", "host interface for macvlan")
	fl.IntVar(&spec.MTU, "mtu", 0, "interface MTU (default: the kernel's)")
	fl.BoolVar(&noGateway, "no-gateway", false, "do not give the host an address on the bridge")
	return cmd
}

func newNetLsCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List networks",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			nets, err := c.Networks(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), nets)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSUBNET\tTYPE\tBRIDGE/MASTER\tGATEWAY\tMTU")
			for _, n := range nets {
				dev := n.Bridge
				if n.Type == cni.TypeMacvlan {
					dev = n.Master
				}
				gw := "-"
				if n.Gateway.IsValid() {
					gw = n.Gateway.String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", n.Name, n.Subnet, n.Type, dev, gw, n.MTU)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func newNetRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME...",
		Short: "Remove networks no container uses",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, names []string) error {
			for _, n := range names {
				if err := c.RemoveNetwork(cmd.Context(), n); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return nil
		}),
	}
}

func newNetImpairCmd(g *globals) *cobra.Command {
	var req api.ImpairRequest
	var loss, rate string
	cmd := &cobra.Command{
		Use:     "impair CONTAINER IFACE [--delay D] [--jitter D] [--loss P%] [--rate R] | --clear",
		Short:   "Add delay, jitter, loss or a rate limit to a container interface (netem/tbf)",
		Example: "  corebox net impair gnb1 n3 --delay 20ms --jitter 5ms --loss 1% --rate 100mbit\n  corebox net impair gnb1 n3 --clear",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.IfName = args[1]
			var err error
			if loss != "" {
				if req.LossPercent, err = parsePercent(loss); err != nil {
					return fmt.Errorf("--loss: %w", err)
				}
			}
			if rate != "" {
				if req.RateBps, err = parseRate(rate); err != nil {
					return fmt.Errorf("--rate: %w", err)
				}
			}
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			return c.Impair(cmd.Context(), args[0], req)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.Delay, "delay", "", "added delay, e.g. 20ms")
	fl.StringVar(&req.Jitter, "jitter", "", "delay variation, e.g. 5ms")
	fl.StringVar(&loss, "loss", "", "packet loss, e.g. 1%")
	fl.StringVar(&rate, "rate", "", "rate limit, e.g. 100mbit")
	fl.BoolVar(&req.Clear, "clear", false, "remove every impairment from the interface")
	return cmd
}

func newNetInstallCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "install-plugins",
		Short: "Build the pinned CNI reference plugins into the plugin directory",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			if err := c.InstallPlugins(cmd.Context(), progressTo(cmd)); err != nil {
				return err
			}
			v, err := c.Version(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "CNI plugins %s installed in %s\n", cni.PluginsVersion, v.PluginDir)
			return nil
		}),
	}
}

// progressTo prints progress lines on stderr.
func progressTo(cmd *cobra.Command) func(string) {
	return func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "  "+msg) }
}
