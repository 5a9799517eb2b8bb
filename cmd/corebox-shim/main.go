// Command corebox-shim starts one container and stays as its monitor; see
// package platform/shim.
package main

import (
	"os"
	goruntime "runtime"

	"github.com/corebox/corebox/platform/runtime"
	"github.com/corebox/corebox/platform/shim"
)

func init() {
	// The container's init is a child of the thread that started it, and
	// the shim later re-executes itself as the monitor: both must happen
	// on the main thread, or an exec from another thread can lose the
	// child.
	goruntime.LockOSThread()
}

func main() {
	// libcontainer re-executes this binary as `init` inside new namespaces.
	runtime.Init()
	os.Exit(shim.Main(os.Args[1:], runtime.StartContainer))
}
