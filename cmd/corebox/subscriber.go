package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/labs/subscribers"
	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/state"
)

// subscriberTarget names the UDR the subscriber commands talk to.
type subscriberTarget struct {
	profile string
	nf      string
}

func (t *subscriberTarget) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&t.profile, "profile", "5gc", "profile whose UDR holds the subscribers")
	cmd.Flags().StringVar(&t.nf, "nf", "udr", "the UDR's NF name in that profile")
}

// client finds the UDR's first ready instance and its mgmt address.
func (t *subscriberTarget) client(ctx context.Context, c *api.Client) (*subscribers.Client, error) {
	st, err := c.Status(ctx, t.profile, false)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", t.profile, err)
	}
	for _, nf := range st.NFs {
		if nf.Name != t.nf {
			continue
		}
		for _, in := range nf.Instances {
			if addr := in.Addresses["mgmt"]; addr != "" && in.Phase == state.PhaseReady {
				return subscribers.New(addr + ":9090"), nil
			}
		}
		return nil, fmt.Errorf("profile %s: no instance of %s is ready (see corebox status %s)", t.profile, t.nf, t.profile)
	}
	return nil, fmt.Errorf("profile %s has no NF %q (use --nf to name its UDR)", t.profile, t.nf)
}

// imsDomain is the IMS home domain an HSS of the profile serves Cx for
// (its /info "ims_domain"; "" when the profile has none ready).
func (t *subscriberTarget) imsDomain(ctx context.Context, c *api.Client) string {
	st, err := c.Status(ctx, t.profile, true)
	if err != nil {
		return ""
	}
	for _, nf := range st.NFs {
		for _, in := range nf.Instances {
			if dom := in.Info["ims_domain"]; dom != "" && in.Phase == state.PhaseReady {
				return dom
			}
		}
	}
	return ""
}

// imsIdentities are a subscriber's IMPI then IMPUs, derived as a UE
// without an ISIM derives them (TS 23.003 13.3, 13.4B): from the IMSI, and
// a tel URI from the MSISDN.
func imsIdentities(s subscribers.Subscriber, dom string) []string {
	impi := s.IMSI + "@" + dom
	ids := []string{impi, "sip:" + impi}
	if s.MSISDN != "" {
		ids = append(ids, "tel:+"+s.MSISDN)
	}
	return ids
}

func newSubscriberCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subscriber",
		Short: "Provision subscribers in a profile's UDR: add, ls, rm, import",
	}
	cmd.AddCommand(newSubscriberAddCmd(g), newSubscriberLsCmd(g), newSubscriberRmCmd(g), newSubscriberImportCmd(g))
	return cmd
}

func newSubscriberAddCmd(g *globals) *cobra.Command {
	var (
		t       subscriberTarget
		s       subscribers.Subscriber
		dnns    []string
		sd      string
		sst     int
		count   int
		replace bool
	)
	cmd := &cobra.Command{
		Use:   "add --imsi IMSI --k K (--op OP | --opc OPC) --dnn DNN [--dnn DNN]... --sst SST [--sd SD]",
		Short: "Add a subscriber (or --count N of them with consecutive IMSIs)",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			if s.IMSI == "" || s.K == "" || len(dnns) == 0 {
				return fmt.Errorf("--imsi, --k and --dnn are required")
			}
			if (s.OP == "") == (s.OPc == "") {
				return fmt.Errorf("give exactly one of --op and --opc")
			}
			for i, dnn := range dnns {
				s.DNNs = append(s.DNNs, subscribers.DNN{DNN: dnn, SST: sst, SD: sd, Default: i == 0})
			}
			subs, err := subscribers.Range(s, count)
			if err != nil {
				return err
			}
			udr, err := t.client(cmd.Context(), c)
			if err != nil {
				return err
			}
			for _, one := range subs {
				if err := udr.Add(cmd.Context(), one, replace); err != nil {
					return fmt.Errorf("add %s: %w", one.IMSI, err)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %d subscriber(s) from %s\n", len(subs), subs[0].IMSI)
			if dom := t.imsDomain(cmd.Context(), c); dom != "" {
				ids := imsIdentities(subs[0], dom)
				fmt.Fprintf(cmd.OutOrStdout(), "IMS identities of %s: IMPI %s, IMPU %s\n", subs[0].IMSI, ids[0], strings.Join(ids[1:], ", "))
			}
			return nil
		}),
	}
	t.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&s.IMSI, "imsi", "", "IMSI, 15 digits (the first one with --count)")
	f.StringVar(&s.K, "k", "", "permanent key K, 32 hex digits")
	f.StringVar(&s.OP, "op", "", "operator key OP, 32 hex digits (the UDR stores OPc)")
	f.StringVar(&s.OPc, "opc", "", "OPc, 32 hex digits")
	f.StringVar(&s.AMF, "amf", "8000", "authentication management field, 4 hex digits")
	f.StringVar(&s.SQN, "sqn", "000000000000", "initial sequence number, 12 hex digits")
	f.StringVar(&s.MSISDN, "msisdn", "", "MSISDN (optional)")
	f.StringArrayVar(&dnns, "dnn", nil, "subscribed data network (APN) name, repeatable; the first is the default (--dnn internet --dnn ims for VoLTE)")
	f.IntVar(&sst, "sst", 1, "slice/service type of the DNN's S-NSSAI")
	f.StringVar(&sd, "sd", "", "slice differentiator, 6 hex digits (optional)")
	f.IntVar(&count, "count", 1, "add this many subscribers with consecutive IMSIs")
	f.BoolVar(&replace, "replace", false, "overwrite subscribers that exist")
	return cmd
}

func newSubscriberLsCmd(g *globals) *cobra.Command {
	var (
		t      subscriberTarget
		output string
	)
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List subscribers (keys are not shown)",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			udr, err := t.client(cmd.Context(), c)
			if err != nil {
				return err
			}
			subs, err := udr.List(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), subs)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			dom := t.imsDomain(cmd.Context(), c)
			fmt.Fprint(tw, "IMSI\tMSISDN\tSQN\tDNNS")
			if dom != "" {
				fmt.Fprint(tw, "\tIMPU")
			}
			fmt.Fprintln(tw)
			for _, s := range subs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s", s.IMSI, s.MSISDN, s.SQN, dnnList(s.DNNs))
				if dom != "" {
					fmt.Fprintf(tw, "\t%s", strings.Join(imsIdentities(s, dom)[1:], ", "))
				}
				fmt.Fprintln(tw)
			}
			return tw.Flush()
		}),
	}
	t.flags(cmd)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func dnnList(dnns []subscribers.DNN) string {
	parts := make([]string, len(dnns))
	for i, d := range dnns {
		parts[i] = d.DNN + " (sst " + strconv.Itoa(d.SST)
		if d.SD != "" {
			parts[i] += " sd " + d.SD
		}
		parts[i] += ")"
	}
	return strings.Join(parts, ", ")
}

func newSubscriberRmCmd(g *globals) *cobra.Command {
	var t subscriberTarget
	cmd := &cobra.Command{
		Use:   "rm IMSI...",
		Short: "Remove subscribers",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			udr, err := t.client(cmd.Context(), c)
			if err != nil {
				return err
			}
			for _, imsi := range args {
				if err := udr.Remove(cmd.Context(), imsi); err != nil {
					return fmt.Errorf("remove %s: %w", imsi, err)
				}
			}
			return nil
		}),
	}
	t.flags(cmd)
	return cmd
}

func newSubscriberImportCmd(g *globals) *cobra.Command {
	var t subscriberTarget
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import subscribers from CSV (header imsi,k,op,opc,amf,sqn,dnn,sst,sd)",
		Args:  cobra.ExactArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			udr, err := t.client(cmd.Context(), c)
			if err != nil {
				return err
			}
			res, err := udr.Import(cmd.Context(), f)
			if err != nil {
				return fmt.Errorf("import %s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %d, replaced %d\n", res.Added, res.Replaced)
			for _, e := range res.Errors {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s:%d: %s\n", args[0], e.Line, e.Error)
			}
			if len(res.Errors) > 0 {
				return fmt.Errorf("%d row(s) of %s refused", len(res.Errors), args[0])
			}
			return nil
		}),
	}
	t.flags(cmd)
	return cmd
}
