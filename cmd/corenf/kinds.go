package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/corebox/corebox/labs/sim/dn"
	"github.com/corebox/corebox/labs/sim/enb"
	"github.com/corebox/corebox/labs/sim/gnb"
	"github.com/corebox/corebox/labs/sim/gtpgen"
	"github.com/corebox/corebox/labs/sim/ue"
	"github.com/corebox/corebox/nf/5gc/amf"
	"github.com/corebox/corebox/nf/5gc/ausf"
	"github.com/corebox/corebox/nf/5gc/nrf"
	"github.com/corebox/corebox/nf/5gc/nssf"
	"github.com/corebox/corebox/nf/5gc/pcf"
	"github.com/corebox/corebox/nf/5gc/smf"
	"github.com/corebox/corebox/nf/5gc/udm"
	"github.com/corebox/corebox/nf/5gc/udr"
	"github.com/corebox/corebox/nf/5gc/upf"
	"github.com/corebox/corebox/nf/epc/hss"
	"github.com/corebox/corebox/nf/epc/mme"
	"github.com/corebox/corebox/nf/epc/pcrf"
	"github.com/corebox/corebox/nf/epc/pgw"
	"github.com/corebox/corebox/nf/epc/sgw"
	"github.com/corebox/corebox/nf/ims/icscf"
	"github.com/corebox/corebox/nf/ims/pcscf"
	"github.com/corebox/corebox/nf/ims/scscf"
	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/probe"
)

// kind is one NF corenf can run: its default config and how to build it
// from a config file laid over those defaults.
type kind struct {
	name     string
	defaults []byte
	build    func(cfgPath string, opts ...nfkit.Option) (config any, nf runner, err error)
}

type runner interface {
	Run(ctx context.Context) error
}

// kinds is the table of NF kinds; an image is built per entry.
var kinds = []kind{
	entry(dn.Kind, dn.DefaultYAML, dn.New),
	entry(probe.Kind, probe.DefaultYAML, probe.New),
	entry(nrf.Kind, nrf.DefaultYAML, nrf.New),
	entry(pcf.Kind, pcf.DefaultYAML, pcf.New),
	entry(nssf.Kind, nssf.DefaultYAML, nssf.New),
	entry(udr.Kind, udr.DefaultYAML, udr.New),
	entry(udm.Kind, udm.DefaultYAML, udm.New),
	entry(ausf.Kind, ausf.DefaultYAML, ausf.New),
	entry(upf.Kind, upf.DefaultYAML, upf.New),
	entry(smf.Kind, smf.DefaultYAML, smf.New),
	entry(amf.Kind, amf.DefaultYAML, amf.New),
	entry(gnb.Kind, gnb.DefaultYAML, gnb.New),
	entry(ue.Kind, ue.DefaultYAML, ue.New),
	entry(gtpgen.Kind, gtpgen.DefaultYAML, gtpgen.New),
	entry(hss.Kind, hss.DefaultYAML, hss.New),
	entry(enb.Kind, enb.DefaultYAML, enb.New),
	entry(sgw.Kind, sgw.DefaultYAML, sgw.New),
	entry(pgw.Kind, pgw.DefaultYAML, pgw.New),
	entry(pcrf.Kind, pcrf.DefaultYAML, pcrf.New),
	entry(mme.Kind, mme.DefaultYAML, mme.New),
	entry(pcscf.Kind, pcscf.DefaultYAML, pcscf.New),
	entry(icscf.Kind, icscf.DefaultYAML, icscf.New),
	entry(scscf.Kind, scscf.DefaultYAML, scscf.New),
}

// entry adapts an NF package's New(cfg, opts...) to the table.
func entry[C any, N runner](name string, defaults []byte, newNF func(C, ...nfkit.Option) (N, error)) kind {
	build := func(cfgPath string, opts ...nfkit.Option) (any, runner, error) {
		var cfg C
		if err := nfkit.Decode(name+"/default.yaml", selfInDefaults(name, defaults), &cfg); err != nil {
			return nil, nil, err
		}
		var err error
		if cfgPath != "" {
			err = nfkit.Load(cfgPath, &cfg)
		} else {
			err = nfkit.Validate(name+" defaults", &cfg)
		}
		if err != nil {
			return nil, nil, err
		}
		nf, err := newNF(cfg, opts...)
		if err != nil {
			return nil, nil, err
		}
		return cfg, nf, nil
	}
	return kind{name: name, defaults: defaults, build: build}
}

func findKind(name string) (kind, bool) {
	i := slices.IndexFunc(kinds, func(k kind) bool { return k.name == name })
	if i < 0 {
		return kind{}, false
	}
	return kinds[i], true
}

func kindNames() []string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.name
	}
	slices.Sort(names)
	return names
}

// runKind runs an NF until ctx ends (exit 0), it fails (1) or asks for an
// exit code (*nfkit.ExitError).
func runKind(ctx context.Context, k kind, args []string, s stdio) int {
	fs := newFlags(k.name, s.err)
	cfgPath := fs.String("c", "", "config file (YAML) laid over the kind's defaults; none: defaults only")
	printCfg := fs.Bool("print-config", false, "print the effective config as YAML and exit")
	pos, err := parse(fs, args)
	if err != nil {
		return usageCode(err)
	}
	if len(pos) > 0 {
		fmt.Fprintf(s.err, "corenf %s: unexpected arguments %q\n", k.name, pos)
		return 2
	}
	opts := []nfkit.Option{nfkit.WithLogger(nfkit.Logger(k.name, ""))}
	cfg, nf, err := k.build(*cfgPath, opts...)
	if err != nil {
		fmt.Fprintf(s.err, "corenf %s: %v\n", k.name, err)
		return 1
	}
	if *printCfg {
		out, err := yaml.Marshal(cfg)
		if err != nil {
			fmt.Fprintf(s.err, "corenf %s: %v\n", k.name, err)
			return 1
		}
		fmt.Fprint(s.out, string(out))
		return 0
	}
	err = nf.Run(ctx)
	var exit *nfkit.ExitError
	switch {
	case errors.As(err, &exit):
		fmt.Fprintf(s.err, "corenf %s: %v\n", k.name, exit)
		return exit.Code
	case err != nil:
		fmt.Fprintf(s.err, "corenf %s: %v\n", k.name, err)
		return 1
	}
	return 0
}

// kindInfo is one entry of "corenf kinds -o json".
type kindInfo struct {
	Name          string `json:"name"`
	DefaultConfig string `json:"default_config"`
}

func cmdKinds(_ context.Context, args []string, s stdio) int {
	fs := newFlags("kinds", s.err)
	format := fs.String("o", "text", "output format: text or json")
	pos, err := parse(fs, args)
	if err != nil {
		return usageCode(err)
	}
	if len(pos) > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(s.err, "usage: corenf kinds [-o text|json]")
		return 2
	}
	infos := make([]kindInfo, 0, len(kinds))
	for _, name := range kindNames() {
		k, _ := findKind(name)
		infos = append(infos, kindInfo{Name: k.name, DefaultConfig: string(k.defaults)})
	}
	if *format == "json" {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(infos); err != nil {
			fmt.Fprintf(s.err, "corenf kinds: %v\n", err)
			return 1
		}
		return 0
	}
	for _, ki := range infos {
		fmt.Fprintf(s.out, "--- # kind: %s\n%s", ki.Name, ki.DefaultConfig)
	}
	return 0
}

// selfInDefaults resolves ${self.NET} in a kind's defaults where this
// container has interface NET; elsewhere the reference stays, so a config
// that sets the key wins and one that does not fails validation naming it.
func selfInDefaults(name string, defaults []byte) []byte {
	out, err := nfkit.ExpandSelf(name+"/default.yaml", defaults, func(iface string) (string, error) {
		if a, err := nfkit.InterfaceAddr(iface); err == nil {
			return a, nil
		}
		return "${self." + iface + "}", nil
	})
	if err != nil { // the lookup above never fails
		return defaults
	}
	return out
}
