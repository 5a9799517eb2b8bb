package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/daemon"
)

func newDaemonCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the node agent (the CLI starts it when none runs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			shim, err := sibling("corebox-shim")
			if err != nil {
				return err
			}
			plugins, err := g.pluginDir()
			if err != nil {
				return fmt.Errorf("CNI plugin directory: %w", err)
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "daemon")
			return daemon.Run(cmd.Context(), daemon.Config{
				StateRoot: g.root, PluginDir: plugins, ShimPath: shim,
				Version: version, Log: log,
			})
		},
	}
	cmd.AddCommand(newDaemonStopCmd(g))
	return cmd
}

func newDaemonStopCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "Stop the daemon of the state root; its containers keep running",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := api.NewClient(api.SocketPath(g.root))
			v, err := c.Version(cmd.Context())
			if err != nil {
				fmt.Fprintln(cmd.OutOrStdout(), "no daemon runs for", g.root)
				return nil
			}
			if err := stopDaemon(cmd.Context(), c, v.Pid); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "daemon %d stopped\n", v.Pid)
			return nil
		},
	}
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the CLI's and the daemon's versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "corebox %s\n", version)
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			v, err := c.Version(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "daemon %s (api %s, pid %d, root %s)\n", v.Version, v.API, v.Pid, v.StateRoot)
			return nil
		},
	}
}
