package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
)

// ifaceInfo is one interface as "corenf ip -o json" prints it.
type ifaceInfo struct {
	Index int      `json:"index"`
	Name  string   `json:"name"`
	MAC   string   `json:"mac"`
	MTU   int      `json:"mtu"`
	Flags []string `json:"flags"`
	Addrs []string `json:"addrs"`
}

// cmdIP lists the container's interfaces: with one interface per network,
// named after it (n3, mgmt), this shows how an instance was wired.
func cmdIP(_ context.Context, args []string, s stdio) int {
	fs := newFlags("ip", s.err)
	format := fs.String("o", "text", "output format: text or json")
	pos, err := parse(fs, args)
	if err != nil {
		return usageCode(err)
	}
	if len(pos) > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(s.err, "usage: corenf ip [-o text|json]")
		return 2
	}
	ifaces, err := interfaces()
	if err != nil {
		fmt.Fprintf(s.err, "corenf ip: %v\n", err)
		return 1
	}
	if *format == "json" {
		err = writeIfacesJSON(s.out, ifaces)
	} else {
		err = writeIfacesText(s.out, ifaces)
	}
	if err != nil {
		fmt.Fprintf(s.err, "corenf ip: %v\n", err)
		return 1
	}
	return 0
}

func interfaces() ([]ifaceInfo, error) {
	list, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	out := make([]ifaceInfo, 0, len(list))
	for _, ifc := range list {
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", ifc.Name, err)
		}
		info := ifaceInfo{Index: ifc.Index, Name: ifc.Name, MAC: ifc.HardwareAddr.String(),
			MTU: ifc.MTU, Flags: strings.Split(ifc.Flags.String(), "|"), Addrs: []string{}}
		if ifc.Flags == 0 {
			info.Flags = []string{}
		}
		for _, a := range addrs {
			info.Addrs = append(info.Addrs, a.String()) // *net.IPNet: CIDR form
		}
		out = append(out, info)
	}
	return out, nil
}

func writeIfacesJSON(w io.Writer, ifaces []ifaceInfo) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ifaces); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func writeIfacesText(w io.Writer, ifaces []ifaceInfo) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "INDEX\tNAME\tMAC\tMTU\tFLAGS\tADDRESSES")
	for _, i := range ifaces {
		mac, flags, addrs := orDash(i.MAC), orDash(strings.Join(i.Flags, ",")), orDash(strings.Join(i.Addrs, " "))
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", i.Index, i.Name, mac, i.MTU, flags, addrs)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
