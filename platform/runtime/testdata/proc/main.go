// Command proc is the process the runtime tests run inside containers.
//
//	proc serve        run until SIGTERM, then exit 0
//	proc deaf         ignore SIGTERM, run until killed
//	proc exit N       exit with code N
//	proc echo WORDS   print WORDS
//	proc env          print the environment
//	proc hostname     print the hostname
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: proc serve|deaf|exit N|echo WORDS|env|hostname")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		fmt.Println("serving")
		<-ch
		fmt.Println("terminated")
	case "deaf":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("deaf")
		for {
			time.Sleep(time.Hour)
		}
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		os.Exit(code)
	case "echo":
		fmt.Println(strings.Join(os.Args[2:], " "))
	case "env":
		fmt.Println(strings.Join(os.Environ(), "\n"))
	case "hostname":
		h, _ := os.Hostname()
		fmt.Println(h)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}
