package kube

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/corebox/corebox/profiles"
)

// podNetworks ride on the pod's primary interface (eth0): mgmt is the pod
// network, and the SBI is plain HTTP between Services. Every other network
// is a Multus attachment.
var podNetworks = []string{profiles.MgmtNetwork, "sbi"}

// podInterface is the pod's primary interface, as nfkit names it in
// ${self.eth0}.
const podInterface = "eth0"

// EnvIndex holds the pod's ordinal in a StatefulSet (from the pod-index
// label); ${self.index} in env and args becomes $(COREBOX_INDEX).
const EnvIndex = "COREBOX_INDEX"

func isPodNetwork(n string) bool { return slices.Contains(podNetworks, n) }

// serviceHost is the DNS name of an NF's Service.
func (r *renderer) serviceHost(nf string) string { return nf + "." + r.ns + ".svc" }

// lookup answers address references as Kubernetes can before any pod runs:
// a pod network reference is the NF's Service, a Multus one the profile's
// static addresses. ordinal < 0 means ${self.index} is not known here.
func (r *renderer) lookup(ordinal int, usedIndex *bool) func(nf, network string) ([]string, error) {
	return func(nf, network string) ([]string, error) {
		if nf == profiles.SelfRef && network == profiles.SelfIndex {
			*usedIndex = true
			if ordinal < 0 {
				return []string{"0"}, nil
			}
			return []string{fmt.Sprint(ordinal)}, nil
		}
		target, ok := r.nfs[nf]
		if !ok {
			return nil, fmt.Errorf("no NF %s", nf)
		}
		if isPodNetwork(network) {
			if !hasInterface(target, "sbi") {
				return nil, fmt.Errorf("%s has no sbi interface, so no Service to name", nf)
			}
			// One name stands for every replica: the Service balances.
			return []string{r.serviceHost(nf)}, nil
		}
		for _, itf := range target.Interfaces {
			if itf.Network == network && len(itf.Addresses) > 0 {
				return itf.Addresses, nil
			}
		}
		return nil, fmt.Errorf("%s has no static address on %s: whereabouts assigns it only when the pod runs; give interfaces[].addresses", nf, network)
	}
}

// selfOnPod rewrites ${self.mgmt} and ${self.sbi}, which the orchestrator
// leaves to the NF, to ${self.eth0}: on Kubernetes those networks are the
// pod's primary interface.
func selfOnPod(s string) string {
	for _, n := range podNetworks {
		s = strings.ReplaceAll(s, "${self."+n+"}", "${self."+podInterface+"}")
	}
	return s
}

// resolveList resolves env or args items; ${self.index} becomes
// $(COREBOX_INDEX), which the kubelet expands from the pod's env.
func (r *renderer) resolveList(field string, in []string) ([]string, bool, error) {
	var out []string
	anyIndex := false
	for i, s := range in {
		s = strings.ReplaceAll(s, "${self.index}", "$("+EnvIndex+")")
		used := false
		v, err := profiles.ResolveString(s, r.lookup(-1, &used))
		if err != nil {
			return nil, false, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		anyIndex = anyIndex || strings.Contains(v, "$("+EnvIndex+")")
		out = append(out, selfOnPod(v))
	}
	return out, anyIndex, nil
}

func hasInterface(nf *profiles.NF, network string) bool {
	return slices.ContainsFunc(nf.Interfaces, func(i profiles.Interface) bool { return i.Network == network })
}

// resolveConfig is profiles.ResolveRefs walked in sorted key order, so the
// first unresolvable reference, and the error naming it, is always the same.
func resolveConfig(v any, path string, lookup func(nf, network string) ([]string, error)) (any, error) {
	switch v := v.(type) {
	case string:
		out, err := profiles.ResolveRefs(map[string]any{"v": v}, lookup)
		if err != nil {
			if inner := errors.Unwrap(err); inner != nil {
				err = inner // drop ResolveRefs' own path to the leaf
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return out["v"], nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			r, err := resolveConfig(v[k], path+"."+k, lookup)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			r, err := resolveConfig(item, fmt.Sprintf("%s[%d]", path, i), lookup)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}
