package kube

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/corebox/corebox/profiles"
)

// VolumeSize is what each claim of a profile volume asks for: profiles
// give no size.
const VolumeSize = "1Gi"

const (
	configVolume = "config"
	tunVolume    = "dev-net-tun"
)

// podVolumes: the config, and /dev/net/tun. Profile volumes are the
// StatefulSet's claim templates.
func podVolumes(nf *profiles.NF, cfg nfConfig) []corev1.Volume {
	var out []corev1.Volume
	if cfg.configMap != nil {
		out = append(out, corev1.Volume{Name: configVolume, VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: cfg.configMap.Name}},
		}})
	}
	if len(nf.Devices) > 0 { // refuseUnmapped left only the tun device
		t := corev1.HostPathCharDev
		out = append(out, corev1.Volume{Name: tunVolume, VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: TunDevice, Type: &t},
		}})
	}
	return out
}

func mounts(nf *profiles.NF, cfg nfConfig) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	if cfg.configMap != nil {
		m := corev1.VolumeMount{Name: configVolume, MountPath: cfg.path, ReadOnly: true, SubPath: cfg.subPath}
		if cfg.indexed { // each pod mounts the key of its ordinal
			m.SubPath = ""
			m.SubPathExpr = configKeyExpr(nf)
		}
		out = append(out, m)
	}
	for _, v := range nf.Volumes {
		out = append(out, corev1.VolumeMount{Name: v.Name, MountPath: v.Path, ReadOnly: v.ReadOnly})
	}
	if len(nf.Devices) > 0 {
		out = append(out, corev1.VolumeMount{Name: tunVolume, MountPath: TunDevice})
	}
	return out
}

// configKeyExpr is configKey with the ordinal from the pod's env.
func configKeyExpr(nf *profiles.NF) string {
	k := configKey(nf, 0)
	return k[:len(k)-len("0.yaml")] + "$(" + EnvIndex + ").yaml"
}

// claimTemplates: one claim per profile volume and pod.
func claimTemplates(nf *profiles.NF) []corev1.PersistentVolumeClaim {
	var out []corev1.PersistentVolumeClaim
	for _, v := range nf.Volumes {
		out = append(out, corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: v.Name},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceStorage: resource.MustParse(VolumeSize),
				}},
			},
		})
	}
	return out
}

// resources: requests equal limits (what corebox enforces is a limit); a
// dataplane NF must get whole CPUs and a memory limit to be Guaranteed,
// which the static CPU manager needs for exclusive cores.
func resources(nf *profiles.NF) (corev1.ResourceRequirements, error) {
	res := nf.Resources
	list := corev1.ResourceList{}
	if res.CPUs > 0 {
		q, err := quantity(res.CPUs)
		if err != nil {
			return corev1.ResourceRequirements{}, fmt.Errorf("resources.cpus: %w", err)
		}
		list[corev1.ResourceCPU] = q
	}
	if res.Memory != "" {
		b, err := profiles.ParseMemory(res.Memory)
		if err != nil {
			return corev1.ResourceRequirements{}, fmt.Errorf("resources.memory: %w", err)
		}
		list[corev1.ResourceMemory] = *resource.NewQuantity(b, resource.BinarySI)
	}
	if res.Dataplane != profiles.DataplaneNone && res.CPUs != float64(int64(res.CPUs)) {
		return corev1.ResourceRequirements{}, fmt.Errorf("resources.cpus: %v: a dataplane NF needs whole CPUs", res.CPUs)
	}
	if res.Dataplane == profiles.DataplaneRequired && res.Memory == "" {
		return corev1.ResourceRequirements{}, fmt.Errorf("resources.memory: dataplane: required needs a memory limit on Kubernetes (Guaranteed QoS for exclusive cores)")
	}
	if len(list) == 0 {
		return corev1.ResourceRequirements{}, nil
	}
	return corev1.ResourceRequirements{Limits: list, Requests: list.DeepCopy()}, nil
}
