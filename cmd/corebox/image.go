package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/api"
	"github.com/corebox/corebox/orchestrator/kube/cluster"
	"github.com/corebox/corebox/profiles"
)

func newImageCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "image", Short: "Build, store and move NF images (OCI)"}
	cmd.AddCommand(newImageBuildCmd(g), newImageLsCmd(g), newImageInspectCmd(g), newImageRmCmd(g),
		newImageSaveCmd(g), newImageLoadCmd(g), newImagePushCmd(g), newImagePullCmd(g))
	return cmd
}

func newImageBuildCmd(g *globals) *cobra.Command {
	var req api.BuildRequest
	cmd := &cobra.Command{
		Use:   "build [--corenf PATH] [--tag TAG]",
		Short: "Build one image per NF kind from a static corenf binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.Corenf == "" {
				p, err := sibling("corenf")
				if err != nil {
					return fmt.Errorf("--corenf: %w", err)
				}
				req.Corenf = p
			}
			abs, err := filepath.Abs(req.Corenf)
			if err != nil {
				return err
			}
			req.Corenf = abs // the daemon runs it from its own directory
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			list, err := c.BuildImages(cmd.Context(), req, progressTo(cmd))
			if err != nil {
				return err
			}
			for _, s := range list {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", s.Ref, s.Digest)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&req.Corenf, "corenf", "", "static corenf binary (default: next to corebox)")
	cmd.Flags().StringVar(&req.Tag, "tag", version, "image tag")
	return cmd
}

func newImageLsCmd(g *globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List images",
		Args:  cobra.NoArgs,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, _ []string) error {
			list, err := c.Images(cmd.Context())
			if err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd.OutOrStdout(), list)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "IMAGE\tDIGEST\tSIZE\tLAYERS\tCREATED")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.Ref, shortDigest(s.Digest), humanBytes(uint64(s.Size)), s.Layers, s.Created.UTC().Format(time.DateTime))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

func newImageInspectCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect IMAGE",
		Short: "Show an image's config and layers as JSON",
		Args:  cobra.ExactArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			d, err := c.InspectImage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), d)
		}),
	}
}

func newImageRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm IMAGE...",
		Short: "Remove images; layers nothing else uses are freed",
		Args:  cobra.MinimumNArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, refs []string) error {
			for _, r := range refs {
				if err := c.RemoveImage(cmd.Context(), r); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), r)
			}
			return nil
		}),
	}
}

func newImageSaveCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "save -o FILE IMAGE...",
		Short: "Write images to a tarball",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, refs []string) error {
			if out == "" {
				return fmt.Errorf("-o FILE is required")
			}
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			tmp := out + ".partial"
			f, err := os.Create(tmp)
			if err != nil {
				return err
			}
			err = c.SaveImages(cmd.Context(), refs, f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("%w (and removing %s: %v)", err, tmp, os.Remove(tmp))
			}
			return os.Rename(tmp, out)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "tarball to write")
	return cmd
}

func newImageLoadCmd(g *globals) *cobra.Command {
	var in string
	cmd := &cobra.Command{
		Use:   "load -i FILE",
		Short: "Read images from a tarball written by save",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" {
				return fmt.Errorf("-i FILE is required")
			}
			f, err := os.Open(in)
			if err != nil {
				return err
			}
			defer f.Close()
			c, err := g.client(cmd.Context())
			if err != nil {
				return err
			}
			refs, err := c.LoadImages(cmd.Context(), f)
			if err != nil {
				return err
			}
			for _, r := range refs {
				fmt.Fprintln(cmd.OutOrStdout(), r)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&in, "input", "i", "", "tarball to read")
	return cmd
}

func newImagePushCmd(g *globals) *cobra.Command {
	var insecure bool
	var registry, tag, profile string
	cmd := &cobra.Command{
		Use:   "push IMAGE DEST | push --registry REG [--tag T] [--profile P | KIND...]",
		Short: "Push an image, or every kind image (of a profile), to an OCI registry",
		Example: `  corebox image push corebox/upf:dev registry.example:5000/corebox/upf:dev
  corebox image push --registry registry.example:5000 --profile 5gc`,
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			if registry == "" {
				if len(args) != 2 {
					return fmt.Errorf("give IMAGE and DEST, or --registry REG")
				}
				return pushOne(cmd, c, args[0], args[1], insecure)
			}
			kinds, err := kindsToPush(cmd.Context(), c, profile, tag, args)
			if err != nil {
				return err
			}
			for _, k := range kinds {
				if err := pushOne(cmd, c, "corebox/"+k+":"+tag, cluster.RegistryRef(registry, k, tag), insecure); err != nil {
					return err
				}
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&insecure, "insecure", false, "plain HTTP registry")
	cmd.Flags().StringVar(&registry, "registry", "", "push corebox/KIND:TAG as REG/corebox/KIND:TAG (what render/up --registry name by digest)")
	cmd.Flags().StringVar(&tag, "tag", version, "with --registry: the tag of the images")
	cmd.Flags().StringVar(&profile, "profile", "", "with --registry: the kinds this profile runs (default: the KIND arguments, else every kind image at --tag)")
	return cmd
}

func pushOne(cmd *cobra.Command, c *api.Client, ref, dest string, insecure bool) error {
	d, err := c.PushImage(cmd.Context(), api.PushRequest{Ref: ref, Dest: dest, Insecure: insecure}, progressTo(cmd))
	if err != nil {
		return fmt.Errorf("push %s to %s: %w", ref, dest, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s@%s\n", dest, d)
	return nil
}

// kindsToPush is the kinds of a profile, else those named, else every
// corebox/KIND image the store has at tag.
func kindsToPush(ctx context.Context, c *api.Client, profile, tag string, named []string) ([]string, error) {
	if profile != "" {
		if len(named) > 0 {
			return nil, fmt.Errorf("give --profile or KIND arguments, not both")
		}
		p, err := profiles.Find(profile, profiles.LoadOptions{})
		if err != nil {
			return nil, err
		}
		return cluster.Kinds(p), nil
	}
	if len(named) > 0 {
		return named, nil
	}
	list, err := c.Images(ctx)
	if err != nil {
		return nil, err
	}
	var kinds []string
	for _, s := range list {
		repo, t, ok := strings.Cut(s.Ref, ":")
		if kind, isKind := strings.CutPrefix(repo, "corebox/"); ok && isKind && t == tag {
			kinds = append(kinds, kind)
		}
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("no corebox/KIND:%s images in the store (corebox image build --tag %s)", tag, tag)
	}
	return kinds, nil
}

func newImagePullCmd(g *globals) *cobra.Command {
	var insecure bool
	var as string
	cmd := &cobra.Command{
		Use:   "pull SRC [--as IMAGE]",
		Short: "Pull an image from an OCI registry",
		Args:  cobra.ExactArgs(1),
		RunE: g.withClient(func(cmd *cobra.Command, c *api.Client, args []string) error {
			s, err := c.PullImage(cmd.Context(), api.PullRequest{Src: args[0], Ref: as, Insecure: insecure}, progressTo(cmd))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", s.Ref, s.Digest)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&insecure, "insecure", false, "plain HTTP registry")
	cmd.Flags().StringVar(&as, "as", "", "local name (default: the source's repository:tag)")
	return cmd
}
