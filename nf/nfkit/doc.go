// Package nfkit is what every corebox network function shares: strict YAML
// config loading, a log/slog logger tagged with the NF kind and instance,
// and the ops HTTP server (/healthz, /readyz, /metrics, /drain, /info,
// /routes) that the orchestrator uses to watch, scrape and drain an
// instance, and to learn which prefixes it serves (SetRoutes).
//
// An NF writes only its protocol logic. Its package exposes
//
//	New(cfg Config, opts ...nfkit.Option) (*NF, error)
//	(*NF).Run(ctx context.Context) error
//
// and builds an *Ops in New, handing it the NF as Readiness and Drainer.
// Run returns when ctx is cancelled (nil), when a part fails (that error),
// or with an *ExitError when the NF asks the process to exit with a code.
package nfkit
