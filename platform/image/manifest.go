package image

import (
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// sharedEntries is the corenf layer: the binary plus the mount points a
// container rootfs needs, identical for every kind.
func sharedEntries(bin layerEntry) []layerEntry {
	return []layerEntry{
		bin,
		dirEntry("dev", 0o755),
		dirEntry("etc/corebox", 0o755),
		dirEntry("proc", 0o555),
		dirEntry("sys", 0o555),
		dirEntry("tmp", 0o1777),
		dirEntry("var/lib/corebox", 0o755),
	}
}

// kindConfig is the image config of one NF kind.
func kindConfig(kind, tag, cfgFile string, created time.Time, layers []builtLayer) *v1.ConfigFile {
	at := v1.Time{Time: created}
	return &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      at,
		Config: v1.Config{
			Entrypoint: []string{corenfPath, kind},
			Cmd:        []string{"-c", cfgFile},
			Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
			WorkingDir: "/",
			Labels: map[string]string{
				"org.corebox.kind":                 kind,
				"org.opencontainers.image.version": tag,
			},
		},
		RootFS: v1.RootFS{Type: "layers", DiffIDs: diffIDs(layers)},
		History: []v1.History{
			{Created: at, CreatedBy: "corebox image build: " + corenfPath},
			{Created: at, CreatedBy: "corebox image build: " + cfgFile},
		},
	}
}

// stageImage stages cfg and an OCI manifest over layers, returning the
// manifest descriptor and the image's total size.
func stageImage(st *stage, cfg *v1.ConfigFile, layers []builtLayer) (v1.Descriptor, int64, error) {
	rawCfg, err := json.Marshal(cfg)
	if err != nil {
		return v1.Descriptor{}, 0, fmt.Errorf("encode image config: %w", err)
	}
	cfgHash, err := st.putBytes(rawCfg)
	if err != nil {
		return v1.Descriptor{}, 0, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: cfgHash, Size: int64(len(rawCfg))},
	}
	size := int64(len(rawCfg))
	for _, l := range layers {
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCILayer, Digest: l.digest, Size: l.size})
		size += l.size
	}
	rawMan, err := json.Marshal(m)
	if err != nil {
		return v1.Descriptor{}, 0, fmt.Errorf("encode manifest: %w", err)
	}
	manHash, err := st.putBytes(rawMan)
	if err != nil {
		return v1.Descriptor{}, 0, err
	}
	desc := v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: manHash, Size: int64(len(rawMan))}
	return desc, size + desc.Size, nil
}
