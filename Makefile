# corebox: `make demo` sets everything up and shows two containers talking;
# `make test` runs the test suite (as root, the root-only tests too).

VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN         := bin
CACHE       ?= /var/cache/corebox
CNI_VERSION := v1.10.0
CNI_BIN     ?= $(CACHE)/cni-$(CNI_VERSION)/bin
GO          ?= go
LDFLAGS     := -X main.version=$(VERSION)

export COREBOX_CNI_BIN := $(CNI_BIN)

.PHONY: all build cni deps k8s images demo demo-clean test test-short fuzz bench clean

all: build

build:
	CGO_ENABLED=1 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/corebox ./cmd/corebox
	CGO_ENABLED=1 $(GO) build -ldflags '-s -w' -o $(BIN)/corebox-shim ./cmd/corebox-shim
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/corenf ./cmd/corenf

# The CNI reference plugins, built from the Go module proxy once per version.
cni:
	./scripts/install-cni.sh $(CNI_VERSION) $(CNI_BIN)

# Debian packages the tests and benchmarks use (runc, tshark, iperf3).
deps:
	./scripts/install-deps.sh

# A real kube-apiserver, controller-manager and scheduler for the Kubernetes
# backend's tests, built once per machine into /var/cache/corebox.
k8s:
	./scripts/build-k8s.sh

images: build
	$(BIN)/corebox image build --corenf $(BIN)/corenf --tag $(VERSION)

demo: deps build cni images
	VERSION=$(VERSION) ./scripts/demo.sh

demo-clean:
	./scripts/demo.sh clean

test: deps build cni k8s
	./scripts/test.sh

test-short:
	$(GO) test -short ./...

fuzz:
	./scripts/fuzz.sh

bench: build cni images
	$(BIN)/corebox bench start -n 20 --image corebox/dn:$(VERSION)

clean:
	rm -rf $(BIN)
