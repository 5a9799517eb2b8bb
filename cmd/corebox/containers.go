package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/platform/container"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func statusText(c container.Container) string {
	switch {
	case c.ExitCode != nil && c.ExitSignal != "":
		return fmt.Sprintf("exited (%d, %s)", *c.ExitCode, c.ExitSignal)
	case c.ExitCode != nil:
		return fmt.Sprintf("exited (%d)", *c.ExitCode)
	case c.Status == "":
		return string(c.Phase)
	}
	return string(c.Status)
}

func addresses(c container.Container) string {
	var out []string
	for _, a := range c.Attachments {
		out = append(out, a.IfName+"="+a.Address.Addr().String())
	}
	return strings.Join(out, ",")
}

func newPsCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List containers",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			list, err := c.Containers(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), list)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tIMAGE\tSTATUS\tPID\tADDRESSES\tCREATED")
			for _, ctr := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", ctr.Spec.Name, ctr.Spec.Image, statusText(ctr), ctr.Pid,
					addresses(ctr), ctr.Created.Local().Format(time.DateTime))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	cmd.Flags().BoolP("all", "a", true, "show all containers (stopped ones too; always on)")
	return cmd
}

func newStopCmd(g *globals) *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "stop NAME...",
		Short: "Stop containers: SIGTERM, then SIGKILL after the grace period",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, names []string) error {
			return eachName(names, func(n string) error {
				ctr, err := c.Stop(cmd.Context(), n, grace)
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", n, statusText(*ctr))
				}
				return err
			})
		}),
	}
	cmd.Flags().DurationVarP(&grace, "time", "t", 10*time.Second, "grace period before SIGKILL")
	return cmd
}

func newStartCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start NAME...",
		Short: "Start stopped containers again (same addresses and filesystem)",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, names []string) error {
			for _, n := range names {
				ctr, err := c.Start(cmd.Context(), n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s started (pid %d)\n", n, ctr.Pid)
			}
			return nil
		}),
	}
}

func newRmCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [-f] NAME...",
		Short: "Remove containers and everything they have on the host",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, names []string) error {
			return eachName(names, func(n string) error {
				err := c.Remove(cmd.Context(), n, force)
				if err == nil {
					fmt.Fprintln(cmd.OutOrStdout(), n)
				}
				return err
			})
		}),
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")
	return cmd
}

func newExecCmd(g *globals) *cobra.Command {
	var interactive bool
	var env []string
	cmd := &cobra.Command{
		Use:   "exec [-i] NAME -- CMD [ARGS...]",
		Short: "Run a command in a running container; exits with its code",
		Args:  cobra.MinimumNArgs(2),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			stdio := api.ExecIO{Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()}
			if interactive {
				stdio.Stdin = os.Stdin
			}
			code, err := c.Exec(cmd.Context(), args[0], api.ExecRequest{Args: args[1:], Env: env}, stdio)
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitCode{code}
			}
			return nil
		}),
	}
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "pass standard input to the command")
	cmd.Flags().StringArrayVarP(&env, "env", "e", nil, "extra environment variable KEY=VALUE")
	return cmd
}

func newLogsCmd(g *globals) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs [-f] NAME",
		Short: "Print a container's output",
		Args:  cobra.ExactArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			return c.Logs(cmd.Context(), args[0], follow, cmd.OutOrStdout())
		}),
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new output until the container exits")
	return cmd
}

func newInspectCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "inspect [-f TEMPLATE] NAME",
		Short:   "Show a container's record and state as JSON, or through a Go template",
		Example: "  corebox inspect x\n  corebox inspect -f '{{addr . \"n3\"}}' upf1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var tmpl *template.Template
			if format != "" {
				var err error
				funcs := template.FuncMap{"addr": interfaceAddr}
				if tmpl, err = template.New("format").Funcs(funcs).Parse(format); err != nil {
					return fmt.Errorf("--format: %w", err)
				}
			}
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			ctr, err := c.Inspect(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if tmpl == nil {
				return printJSON(cmd.OutOrStdout(), ctr)
			}
			if err := tmpl.Execute(cmd.OutOrStdout(), ctr); err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "Go template over the container record; addr . IFACE gives an interface's address")
	return cmd
}

// interfaceAddr is the template function addr: the IP of one interface.
func interfaceAddr(c *container.Container, ifname string) (string, error) {
	for _, a := range c.Attachments {
		if a.IfName == ifname {
			return a.Address.Addr().String(), nil
		}
	}
	return "", fmt.Errorf("%s has no interface %q", c.Spec.Name, ifname)
}

// eachName applies op to every name, going on past failures.
func eachName(names []string, op func(string) error) error {
	var errs []error
	for _, n := range names {
		errs = append(errs, op(n))
	}
	return errors.Join(errs...)
}
