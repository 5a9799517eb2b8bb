package image

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// push holds the shared lock while uploading so no blob vanishes mid-way.
func (s *Store) push(ctx context.Context, ref, dest string, opts RemoteOptions) (string, error) {
	dst, err := name.NewTag(dest, nameOptions(opts)...)
	if err != nil {
		return "", fmt.Errorf("push: destination %q: %w (want host[:port]/name:tag)", dest, err)
	}
	var digest string
	err = s.withLock(false, func() error {
		img, err := s.find(ref)
		if err != nil {
			return err
		}
		li, err := s.layout().Image(img.desc.Digest)
		if err != nil {
			return err
		}
		progress := progressFunc(opts.Progress)
		progress(fmt.Sprintf("pushing %s to %s", img.ref, dst))
		updates := make(chan v1.Update, 64)
		stop := reportProgress(updates, progress)
		err = remote.Write(dst, li, append(remoteOptions(ctx), remote.WithProgress(updates))...)
		stop()
		if err != nil {
			return fmt.Errorf("push %s to %s: %w", img.ref, dst, err)
		}
		digest = img.desc.Digest.String()
		progress(fmt.Sprintf("pushed %s@%s", dst.Context(), digest))
		return nil
	})
	return digest, err
}

func (s *Store) pull(ctx context.Context, src, localRef string, opts RemoteOptions) (sum *Summary, err error) {
	from, err := name.ParseReference(src, nameOptions(opts)...)
	if err != nil {
		return nil, fmt.Errorf("pull: source %q: %w (want host[:port]/name:tag or name@sha256:...)", src, err)
	}
	if localRef == "" {
		localRef = src
	}
	local, err := parseRef(localRef)
	if err != nil {
		return nil, fmt.Errorf("pull: local name: %w", err)
	}
	progress := progressFunc(opts.Progress)
	progress(fmt.Sprintf("pulling %s", from))
	platform := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	img, err := remote.Image(from, append(remoteOptions(ctx), remote.WithPlatform(platform))...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", from, err)
	}
	if err := checkPlatform(img, platform); err != nil {
		return nil, fmt.Errorf("pull %s: %w", from, err)
	}
	st, err := s.newStage()
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, st.close()) }()
	desc, err := stageRemoteImage(st, img, s.hasBlob, progress)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", from, err)
	}
	if err := s.commit(st, []tagged{{ref: local.String(), desc: desc}}); err != nil {
		return nil, fmt.Errorf("pull %s: %w", from, err)
	}
	progress(fmt.Sprintf("pulled %s as %s (%s)", from, local, desc.Digest))
	return s.summaryOf(local.String())
}

func (s *Store) summaryOf(ref string) (*Summary, error) {
	d, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	// ref, not d.Ref: a digest ref resolves to whichever tag shares it.
	return &Summary{Ref: ref, Digest: d.Digest, Size: d.Size, Created: d.Created, Layers: len(d.Layers)}, nil
}

// checkPlatform refuses a single-platform image built for another node.
func checkPlatform(img v1.Image, want v1.Platform) error {
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("read image config: %w", err)
	}
	if cfg.OS != want.OS || cfg.Architecture != want.Architecture {
		return fmt.Errorf("image is for %s/%s but this node is %s/%s", cfg.OS, cfg.Architecture, want.OS, want.Architecture)
	}
	return nil
}

func nameOptions(opts RemoteOptions) []name.Option {
	if opts.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func remoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithUserAgent("corebox"),
	}
}

// reportProgress turns byte updates into a message per 10% pushed; the
// returned stop waits for the reporter to finish.
func reportProgress(updates <-chan v1.Update, progress func(string)) (stop func()) {
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		last := int64(-1)
		for {
			select {
			case u, ok := <-updates:
				if !ok {
					return
				}
				if u.Total <= 0 || u.Error != nil {
					continue
				}
				if pct := u.Complete * 100 / u.Total / 10 * 10; pct > last {
					last = pct
					progress(fmt.Sprintf("uploaded %d%% (%s of %s)", pct, humanSize(u.Complete), humanSize(u.Total)))
				}
			case <-quit:
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}
