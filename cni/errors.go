package cni

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels a caller decides on with errors.Is. The errors returned carry a
// message that says what to fix; these only classify them.
var (
	ErrInvalidSpec           = errors.New("invalid network spec")
	ErrNetworkExists         = errors.New("network already exists")
	ErrSubnetOverlap         = errors.New("subnet overlaps")
	ErrNetworkNotFound       = errors.New("network not found")
	ErrNetworkInUse          = errors.New("network in use")
	ErrAddressUnavailable    = errors.New("address unavailable")
	ErrAlreadyAttached       = errors.New("already attached")
	ErrPluginMissing         = errors.New("CNI plugins missing")
	ErrImpairmentUnsupported = errors.New("impairment not supported by this kernel")
)

// Error is a classified error: Kind is one of the sentinels above.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// ValidationError is a spec or request field that cannot be accepted.
type ValidationError struct {
	Field   string // "name", "subnet", "type", "master", "mtu", "labels", "ip", ...
	Value   string
	Problem string // what is wrong and what to do instead
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Problem)
}

// Unwrap classifies every validation error as ErrInvalidSpec.
func (e *ValidationError) Unwrap() error { return ErrInvalidSpec }

func invalid(field, value, format string, args ...any) error {
	return &ValidationError{Field: field, Value: value, Problem: fmt.Sprintf(format, args...)}
}

// NetworkInUseError is returned by Remove while containers are attached.
type NetworkInUseError struct {
	Network    string
	Containers []string // "containerID/ifname"
}

func (e *NetworkInUseError) Error() string {
	return fmt.Sprintf("network %q is in use by %s: detach them (or remove the containers) first",
		e.Network, strings.Join(e.Containers, ", "))
}

func (e *NetworkInUseError) Unwrap() error { return ErrNetworkInUse }

// PluginMissingError lists the plugin binaries absent from a directory.
type PluginMissingError struct {
	Dir     string
	Missing []string
}

func (e *PluginMissingError) Error() string {
	return fmt.Sprintf("CNI plugins missing in %s: %s; install them with `corebox net install-plugins` (or `make cni`), which builds %s %s",
		e.Dir, strings.Join(e.Missing, ", "), PluginsModule, PluginsVersion)
}

func (e *PluginMissingError) Unwrap() error { return ErrPluginMissing }
