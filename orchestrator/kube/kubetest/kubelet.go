package kubetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/corebox/corebox/orchestrator/kube"
)

// Kubelet stands in for a node's kubelet: it registers a Ready Node and
// marks each pod the scheduler binds to it Running and Ready (no container
// runs). Pods being deleted are left alone, as a dead kubelet would.
type Kubelet struct {
	Node   string
	cs     kubernetes.Interface
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	nextIP int
}

// StartKubelet registers node and plays its kubelet until the test ends.
func (cp *ControlPlane) StartKubelet(t testing.TB, node string) *Kubelet {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatalf("kubelet client: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	k := &Kubelet{Node: node, cs: cs, cancel: cancel}
	if err := k.register(ctx); err != nil {
		cancel()
		t.Fatalf("register node %s: %v", node, err)
	}
	k.wg.Add(1)
	go k.loop(ctx, t)
	t.Cleanup(func() { k.cancel(); k.wg.Wait() })
	return k
}

func (k *Kubelet) register(ctx context.Context) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("128Gi"),
		corev1.ResourcePods: resource.MustParse("110"),
	}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: k.Node, Labels: map[string]string{"kubernetes.io/hostname": k.Node}}}
	n, err := k.cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create node: %w", err)
	}
	now := metav1.Now()
	n.Status = corev1.NodeStatus{Capacity: capacity, Allocatable: capacity,
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}}
	n, err = k.cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("mark node ready: %w", err)
	}
	// The API server taints a new Node not-ready; the node-lifecycle
	// controller (off here) would lift that once the Node is Ready.
	n.Spec.Taints = nil
	if _, err := k.cs.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("untaint node: %w", err)
	}
	return nil
}

func (k *Kubelet) loop(ctx context.Context, t testing.TB) {
	defer k.wg.Done()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := k.sync(ctx); err != nil && ctx.Err() == nil {
			t.Logf("kubelet %s: %v", k.Node, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sync marks every new pod on the node running and ready.
func (k *Kubelet) sync(ctx context.Context) error {
	pods, err := k.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + k.Node})
	if err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodRunning {
			continue
		}
		k.run(p)
		_, err := k.cs.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
		if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return fmt.Errorf("status of pod %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	return nil
}

// run fills in the status a kubelet would write once the pod's
// containers started and passed their readiness probes.
func (k *Kubelet) run(p *corev1.Pod) {
	k.mu.Lock()
	k.nextIP++
	ip := fmt.Sprintf("10.244.%d.%d", k.nextIP/250, k.nextIP%250+2)
	k.mu.Unlock()
	now := metav1.Now()
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP, p.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	p.Status.HostIP = "127.0.0.1"
	p.Status.StartTime = &now
	p.Status.Conditions = nil
	for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: true, Started: ptr(true),
			Resources: c.Resources.DeepCopy(), // what a kubelet with in-place resize reports
			State:     corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
}

func ptr[T any](v T) *T { return &v }

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallNADCRD installs the NetworkAttachmentDefinition CRD and waits
// until the server serves it.
func (cp *ControlPlane) InstallNADCRD(ctx context.Context) error {
	crd, err := kube.NADCRD()
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	ri := dyn.Resource(crdResource)
	if _, err := ri.Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create %s: %w", crd.GetName(), err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := ri.Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get %s: %w", crd.GetName(), err)
		}
		if established(got) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not established: %w", crd.GetName(), ctx.Err())
		case <-tick.C:
		}
	}
}

func established(u *unstructured.Unstructured) bool {
	conds, _, err := unstructured.NestedSlice(u.Object, "status", "conditions")
	if err != nil {
		return false
	}
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
