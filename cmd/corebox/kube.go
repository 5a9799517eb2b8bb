package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/corebox/corebox/orchestrator/kube"
	"github.com/corebox/corebox/orchestrator/kube/cluster"
	"github.com/corebox/corebox/profiles"
)

// Targets a profile can run on.
const (
	targetCorebox    = "corebox"
	targetKubernetes = "kubernetes"
)

// kubeFlags are the flags of every command that can act on a cluster.
type kubeFlags struct {
	target, kubeconfig, namespace string
}

func addKubeFlags(cmd *cobra.Command, k *kubeFlags) {
	cmd.Flags().StringVar(&k.target, "target", targetCorebox, "where the profile runs: corebox (this box) or kubernetes")
	cmd.Flags().StringVar(&k.kubeconfig, "kubeconfig", "", "kubeconfig file for --target kubernetes (default $KUBECONFIG, ~/.kube/config)")
	cmd.Flags().StringVarP(&k.namespace, "namespace", "n", "", "namespace for --target kubernetes (default: the profile's name)")
}

// kubernetes says whether the command acts on a cluster, refusing an
// unknown target.
func (k *kubeFlags) kubernetes() (bool, error) {
	switch k.target {
	case targetCorebox, "":
		return false, nil
	case targetKubernetes:
		return true, nil
	}
	return false, fmt.Errorf("--target %q: use corebox or kubernetes", k.target)
}

func (k *kubeFlags) ns(profile string) string {
	if k.namespace != "" {
		return k.namespace
	}
	return profile
}

func (k *kubeFlags) connect() (*cluster.Cluster, error) { return cluster.Connect(k.kubeconfig) }

// imageFlags choose the images manifests name.
type imageFlags struct {
	tag, registry string
	insecure      bool
}

func addImageFlags(cmd *cobra.Command, f *imageFlags) {
	cmd.Flags().StringVar(&f.tag, "tag", version, "image tag of the kind NFs (corebox/KIND:TAG)")
	cmd.Flags().StringVar(&f.registry, "registry", "", "registry the images were pushed to (corebox image push --registry): manifests name them by digest")
	cmd.Flags().BoolVar(&f.insecure, "insecure", false, "plain HTTP registry")
}

// renderKube renders p for a cluster, with images by digest when a
// registry is named.
func renderKube(ctx context.Context, p *profiles.Profile, ns string, img imageFlags) ([]kube.Object, error) {
	opts := kube.Options{Namespace: ns, ImageTag: img.tag}
	if img.registry != "" {
		refs, err := cluster.ResolveImages(ctx, img.registry, img.tag, cluster.Kinds(p), img.insecure)
		if err != nil {
			return nil, err
		}
		opts.Images = refs
	}
	return kube.Render(p, opts)
}

func newRenderCmd() *cobra.Command {
	var sets []string
	var kf kubeFlags
	var img imageFlags
	var crds bool
	cmd := &cobra.Command{
		Use:   "render --target kubernetes PROFILE [--namespace NS] [--registry REG] [--crds]",
		Short: "Print a profile as Kubernetes manifests (what up --target kubernetes applies)",
		Example: `  corebox render --target kubernetes 5gc > 5gc.yaml
  corebox render --target kubernetes 5gc --registry reg.example:5000 --tag v1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if on, err := kf.kubernetes(); err != nil || !on {
				if err == nil {
					err = fmt.Errorf("render needs --target kubernetes (profiles run on corebox with corebox up)")
				}
				return err
			}
			p, err := loadProfile(args[0], sets)
			if err != nil {
				return err
			}
			objs, err := renderKube(cmd.Context(), p, kf.ns(p.Name), img)
			if err != nil {
				return err
			}
			out, err := kube.YAML(objs)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if crds {
				fmt.Fprintf(w, "%s---\n", kube.NADCRDYAML())
			}
			_, err = w.Write(out)
			return err
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "profile variable, VAR=VALUE (repeatable)")
	cmd.Flags().BoolVar(&crds, "crds", false, "also print the NetworkAttachmentDefinition CRD (for a cluster without Multus' copy)")
	addKubeFlags(cmd, &kf)
	addImageFlags(cmd, &img)
	return cmd
}

func loadProfile(name string, sets []string) (*profiles.Profile, error) {
	set, err := keyValues("--set", sets)
	if err != nil {
		return nil, err
	}
	return profiles.Find(name, profiles.LoadOptions{Set: set})
}

// printChanges writes an apply's outcome, kubectl style, and a summary.
func printChanges(w io.Writer, ns string, res cluster.ApplyResult, dryRun bool) {
	suffix := ""
	if dryRun {
		suffix = " (server dry run)"
	}
	for _, c := range res.Changes {
		if c.Op != "unchanged" {
			fmt.Fprintf(w, "  %s/%s %s%s\n", strings.ToLower(c.Kind), c.Name, c.Op, suffix)
		}
	}
	fmt.Fprintf(w, "namespace %s: %d created, %d configured, %d unchanged, %d pruned%s\n", ns,
		res.Count("created"), res.Count("configured"), res.Count("unchanged"), res.Count("pruned"), suffix)
}

func printKubeStatus(w io.Writer, profile, ns string, st []cluster.NFStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "PROFILE %s (namespace %s)\n", profile, ns)
	fmt.Fprintln(tw, "NF\tREADY\tKIND\tPOD\tPHASE\tNODE\tADDRESSES")
	for _, nf := range st {
		ready := fmt.Sprintf("%d/%d", nf.Ready, nf.Desired)
		if nf.Autoscaled {
			ready += " (hpa)"
		}
		if len(nf.Pods) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t\t\t\n", nf.Name, ready, nf.Kind)
		}
		for i, p := range nf.Pods {
			name, r, kind := nf.Name, ready, nf.Kind
			if i > 0 {
				name, r, kind = "", "", ""
			}
			phase := p.Phase
			if p.Terminating {
				phase = "Terminating"
			} else if p.Ready {
				phase += ",Ready"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, r, kind, p.Name, phase, p.Node, addressList(p.Addresses))
		}
	}
	return tw.Flush()
}
