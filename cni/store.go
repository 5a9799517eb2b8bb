package cni

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// saveNetwork writes the network's JSON atomically (temp file + rename), so
// a crash never leaves a half-written network behind.
func (m *Manager) saveNetwork(n *Network) error {
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return fmt.Errorf("encode network %s: %w", n.Name, err)
	}
	tmp, err := os.CreateTemp(m.paths.networksDir(), "."+n.Name+".*.tmp")
	if err != nil {
		return fmt.Errorf("store network %s: %w", n.Name, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("store network %s: %w", n.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store network %s: %w", n.Name, err)
	}
	if err := os.Rename(tmp.Name(), m.paths.networkFile(n.Name)); err != nil {
		return fmt.Errorf("store network %s: %w", n.Name, err)
	}
	return nil
}

// loadNetwork reads one stored network; fs.ErrNotExist when there is none.
func (m *Manager) loadNetwork(name string) (*Network, error) {
	file := m.paths.networkFile(name)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var n Network
	if err := json.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("stored network %s is corrupt: %w", file, err)
	}
	if n.Name != name {
		return nil, fmt.Errorf("stored network %s names itself %q", file, n.Name)
	}
	return &n, nil
}

// listNetworks returns the stored networks sorted by name.
func (m *Manager) listNetworks() ([]Network, error) {
	entries, err := os.ReadDir(m.paths.networksDir())
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	var out []Network
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		n, err := m.loadNetwork(name)
		if err != nil {
			return nil, fmt.Errorf("list networks: %w", err)
		}
		out = append(out, *n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// getNetwork is Get without taking the lock.
func (m *Manager) getNetwork(name string) (*Network, error) {
	n, err := m.loadNetwork(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, m.notFound(name)
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

func (m *Manager) notFound(name string) error {
	all, err := m.listNetworks()
	if err != nil {
		return errorf(ErrNetworkNotFound, "network %q not found (and listing the others failed: %v)", name, err)
	}
	if len(all) == 0 {
		return errorf(ErrNetworkNotFound, "network %q not found: no networks exist under %s; create one first (`corebox net ls` lists them)",
			name, filepath.Dir(m.paths.networksDir()))
	}
	names := make([]string, len(all))
	for i, n := range all {
		names[i] = n.Name
	}
	return errorf(ErrNetworkNotFound, "network %q not found; known networks: %s (see `corebox net ls`)", name, strings.Join(names, ", "))
}
