// Package api is the corebox daemon's versioned REST API (/v1, JSON over a
// unix socket under the state root): its wire conventions and its client.
//
// Errors are {"error": "...", "kind": "..."} with a matching HTTP status.
// Long operations answer with a stream of JSON lines: progress lines, then
// one result or error line. Exec upgrades the connection to a framed
// stdin/stdout/stderr stream.
package api

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
)

// Version is the API version in every path.
const Version = "v1"

// SocketPath is where the daemon of a state root listens.
func SocketPath(stateRoot string) string { return filepath.Join(stateRoot, "corebox.sock") }

// Error kinds, mapped to typed errors on the client side.
const (
	KindNotFound = "not_found"
	KindConflict = "conflict"
	KindInvalid  = "invalid"
	KindInternal = "internal"
)

// Typed errors a client can test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid request")
)

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// Error is an error answer as the client sees it.
type Error struct {
	Status int
	Body   ErrorBody
}

func (e *Error) Error() string { return e.Body.Error }

// Is lets errors.Is match the typed errors by kind.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Body.Kind == KindNotFound
	case ErrConflict:
		return e.Body.Kind == KindConflict
	case ErrInvalid:
		return e.Body.Kind == KindInvalid
	}
	return false
}

// StatusOf is the HTTP status for an error kind.
func StatusOf(kind string) int {
	switch kind {
	case KindNotFound:
		return http.StatusNotFound
	case KindConflict:
		return http.StatusConflict
	case KindInvalid:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// VersionInfo answers GET /v1/version.
type VersionInfo struct {
	API       string `json:"api"`
	Version   string `json:"version"`
	Pid       int    `json:"pid"`
	StateRoot string `json:"state_root"`
	PluginDir string `json:"plugin_dir"`
	// Build identifies the daemon's binary (path, size, modification
	// time), so that a rebuilt CLI notices a daemon of an older build
	// even when both carry the same version string.
	Build string `json:"build"`
}

// BuildID identifies the running binary; see VersionInfo.Build. It is
// read once, at start: the file may be replaced by a rebuild while the
// process runs, and then describes another build.
func BuildID() string { return buildID }

var buildID = readBuildID()

func readBuildID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return exe
	}
	return fmt.Sprintf("%s %d %d", exe, fi.Size(), fi.ModTime().UnixNano())
}

// StreamLine is one line of a long operation's answer.
type StreamLine[T any] struct {
	Progress string `json:"progress,omitempty"`
	Result   *T     `json:"result,omitempty"`
	Error    string `json:"error,omitempty"`
	Kind     string `json:"kind,omitempty"`
}

// ExecRequest starts a process in a container.
type ExecRequest struct {
	Args  []string `json:"args"`
	Env   []string `json:"env,omitempty"`
	Cwd   string   `json:"cwd,omitempty"`
	Stdin bool     `json:"stdin"`
}

// ExitResult ends an exec stream.
type ExitResult struct {
	Code  int    `json:"code"`
	Error string `json:"error,omitempty"`
}

// ImpairRequest adds link trouble to an interface, or clears it.
type ImpairRequest struct {
	IfName string `json:"ifname"`
	Clear  bool   `json:"clear,omitempty"`
	// Delay, Jitter as Go durations; Loss in percent; Rate in bits/s.
	Delay       string  `json:"delay,omitempty"`
	Jitter      string  `json:"jitter,omitempty"`
	LossPercent float64 `json:"loss_percent,omitempty"`
	RateBps     uint64  `json:"rate_bps,omitempty"`
}

// BuildRequest builds NF images from a corenf binary.
type BuildRequest struct {
	Corenf string `json:"corenf"` // path on the daemon's host
	Tag    string `json:"tag"`
}

// PushRequest pushes a local image to a registry.
type PushRequest struct {
	Ref      string `json:"ref"`
	Dest     string `json:"dest"`
	Insecure bool   `json:"insecure,omitempty"`
}

// PullRequest pulls an image into the local store.
type PullRequest struct {
	Src      string `json:"src"`
	Ref      string `json:"ref,omitempty"` // local name; default src's repository:tag
	Insecure bool   `json:"insecure,omitempty"`
}

// PushResult is the digest the registry holds.
type PushResult struct {
	Digest string `json:"digest"`
}

func errorf(kind, format string, args ...any) *Error {
	return &Error{Status: StatusOf(kind), Body: ErrorBody{Kind: kind, Error: fmt.Sprintf(format, args...)}}
}
