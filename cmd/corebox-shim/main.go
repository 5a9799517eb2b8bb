// Command corebox-shim is the monitor process of one container; see
// package platform/shim.
package main

import (
	"os"
	"runtime/debug"

	"github.com/corebox/corebox/platform/shim"
)

func main() {
	// The shim lives as long as its container: keep its heap tiny.
	debug.SetGCPercent(20)
	os.Exit(shim.Main(os.Args[1:]))
}
