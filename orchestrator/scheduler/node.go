package scheduler

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Node is what this machine offers to instances.
type Node struct {
	CPUs        []int // online CPU ids
	MemoryBytes int64
}

const (
	cpuOnlinePath = "/sys/devices/system/cpu/online"
	meminfoPath   = "/proc/meminfo"
)

// LocalNode describes this machine: its online CPUs and total memory.
func LocalNode() (Node, error) { return readNode(cpuOnlinePath, meminfoPath) }

func readNode(onlinePath, meminfo string) (Node, error) {
	online, err := os.ReadFile(onlinePath)
	if err != nil {
		return Node{}, fmt.Errorf("online CPUs: %w", err)
	}
	cpus, err := parseCPUList(string(online))
	if err != nil {
		return Node{}, fmt.Errorf("online CPUs from %s: %w", onlinePath, err)
	}
	if len(cpus) == 0 {
		return Node{}, fmt.Errorf("online CPUs from %s: none listed", onlinePath)
	}
	info, err := os.ReadFile(meminfo)
	if err != nil {
		return Node{}, fmt.Errorf("memory: %w", err)
	}
	mem, err := memTotal(info)
	if err != nil {
		return Node{}, fmt.Errorf("memory from %s: %w", meminfo, err)
	}
	return Node{CPUs: cpus, MemoryBytes: mem}, nil
}

// memTotal finds "MemTotal:  24683620 kB" (the kernel's kB are KiB).
func memTotal(meminfo []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected MemTotal line %q", sc.Text())
		}
		kib, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kib <= 0 {
			return 0, fmt.Errorf("unexpected MemTotal value %q", fields[0])
		}
		return kib * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no MemTotal line")
}
