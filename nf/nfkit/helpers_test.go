package nfkit_test

import (
	"testing"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/prometheus/client_golang/prometheus"
)

func prometheusCounter(t *testing.T, ops *nfkit.Ops, name string) prometheus.Counter {
	t.Helper()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: "test"})
	if err := nfkit.Register(ops.Registry(), c); err != nil {
		t.Fatal(err)
	}
	if err := nfkit.Register(ops.Registry(), c); err == nil {
		t.Error("registering twice succeeded")
	}
	return c
}
