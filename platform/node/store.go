package node

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/corebox/corebox/platform/container"
)

const recordFile = "container.json"

func (n *Node) containerDir(id string) string { return filepath.Join(n.root, "containers", id) }
func (n *Node) netnsPath(id string) string    { return filepath.Join(n.root, "netns", id) }

func newID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("container id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// save writes the record atomically, so a crash never leaves half of it.
func (n *Node) save(c *container.Container) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode record of %s: %w", c.Spec.Name, err)
	}
	path := filepath.Join(n.containerDir(c.ID), recordFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write record of %s: %w", c.Spec.Name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write record of %s: %w", c.Spec.Name, err)
	}
	return nil
}

// loadAll reads every container record under the state root.
func (n *Node) loadAll() ([]*container.Container, error) {
	entries, err := os.ReadDir(filepath.Join(n.root, "containers"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []*container.Container
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(n.containerDir(e.Name()), recordFile))
		if errors.Is(err, os.ErrNotExist) {
			// A directory without a record: Run died before writing it,
			// maybe with the rootfs mounted.
			if err := unmountRootfs(n.containerDir(e.Name())); err != nil {
				return nil, fmt.Errorf("unfinished container dir %s: %w", e.Name(), err)
			}
			if err := os.RemoveAll(n.containerDir(e.Name())); err != nil {
				return nil, fmt.Errorf("remove unfinished container dir %s: %w", e.Name(), err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read record %s: %w", e.Name(), err)
		}
		var c container.Container
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("parse record %s: %w", e.Name(), err)
		}
		out = append(out, &c)
	}
	return out, nil
}
