package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// monitorFile records which process is a container's monitor: its pid and
// its start time, which together survive the monitor's re-exec and never
// match a later process that reuses the pid.
const monitorFile = "shim.pid"

type monitorID struct {
	Pid   int
	Start uint64
	// Init is the container's init, once the monitor reported it.
	Init int `json:",omitempty"`
}

// procStart reads a process's start time (clock ticks since boot) and
// whether it has ended (zombie or dead).
func procStart(pid int) (start uint64, ended bool, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, true, err
	}
	// The command name may hold spaces and parentheses: fields start after
	// the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, true, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, true, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("parse /proc/%d/stat start time: %w", pid, err)
	}
	return start, f[0] == "Z" || f[0] == "X", nil
}

func writeMonitorID(dir string, id monitorID) error {
	if id.Start == 0 {
		start, _, err := procStart(id.Pid)
		if err != nil {
			return fmt.Errorf("monitor %d: %w", id.Pid, err)
		}
		id.Start = start
	}
	return writeJSON(filepath.Join(dir, monitorFile), id)
}

func readMonitorID(dir string) (*monitorID, error) {
	var id monitorID
	if err := readJSON(filepath.Join(dir, monitorFile), &id); err != nil {
		return nil, err
	}
	return &id, nil
}

// monitorAlive says whether the monitor of the container in dir still runs.
func monitorAlive(dir string) bool {
	id, err := readMonitorID(dir)
	return err == nil && id.alive()
}

func (m *monitorID) alive() bool {
	start, ended, err := procStart(m.Pid)
	return err == nil && !ended && start == m.Start
}

// MonitorPid is the pid of the container's monitor, 0 if unknown.
func MonitorPid(dir string) int {
	id, err := readMonitorID(dir)
	if errors.Is(err, os.ErrNotExist) || err != nil {
		return 0
	}
	return id.Pid
}
