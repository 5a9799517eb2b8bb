package cni

import (
	"errors"
	"fmt"

	"github.com/containernetworking/plugins/pkg/netlinksafe"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// inNetNS runs f with a netlink handle bound to the namespace at path; no
// goroutine has to switch namespaces.
func inNetNS(path string, f func(h *netlink.Handle) error) error {
	// ns.GetNS tells "no such file" from "not a namespace" with a clear message.
	nsFile, err := ns.GetNS(path)
	if err != nil {
		return fmt.Errorf("network namespace: %w", err)
	}
	defer nsFile.Close()
	h, err := netlink.NewHandleAt(netns.NsHandle(int(nsFile.Fd())))
	if err != nil {
		return fmt.Errorf("netlink in %s: %w", path, err)
	}
	defer h.Close()
	return f(h)
}

// interfaceFree refuses a name already used inside the namespace.
func interfaceFree(nsPath, ifName string) error {
	return inNetNS(nsPath, func(h *netlink.Handle) error {
		_, err := netlinksafe.Handle{Handle: h}.LinkByName(ifName)
		switch {
		case err == nil:
			return errorf(ErrAlreadyAttached, "network namespace %s already has an interface named %s; detach it or choose another IfName", nsPath, ifName)
		case isLinkNotFound(err):
			return nil
		default:
			return fmt.Errorf("look up %s in %s: %w", ifName, nsPath, err)
		}
	})
}

// loopbackUp brings lo up: services bound to 127.0.0.1 inside the
// container need it, and a fresh namespace has it down.
func loopbackUp(nsPath string) error {
	return inNetNS(nsPath, func(h *netlink.Handle) error {
		lo, err := netlinksafe.Handle{Handle: h}.LinkByName("lo")
		if err != nil {
			return fmt.Errorf("find lo in %s: %w", nsPath, err)
		}
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("bring lo up in %s: %w", nsPath, err)
		}
		return nil
	})
}

// usableNetNS returns path if it is still a network namespace, else "":
// DEL then only releases IPAM (the interfaces died with the namespace).
func usableNetNS(path string) string {
	if path == "" {
		return ""
	}
	nsFile, err := ns.GetNS(path)
	if err != nil {
		var notExist ns.NSPathNotExistErr
		var notNS ns.NSPathNotNSErr
		if errors.As(err, &notExist) || errors.As(err, &notNS) {
			return ""
		}
		return path // let the plugins report whatever else this is
	}
	nsFile.Close()
	return path
}
