package node

import (
	"errors"
	"strings"
	"testing"

	"github.com/corebox/corebox/platform/container"
)

func TestValidate(t *testing.T) {
	ok := func() container.Spec {
		return container.Spec{Name: "upf-0", Image: "corebox/upf:dev", Networks: []container.NetRequest{{Network: "n3"}, {Network: "n6"}}}
	}
	tests := []struct {
		name string
		edit func(*container.Spec)
		want string // in the error; "" means valid
	}{
		{"valid", func(*container.Spec) {}, ""},
		{"bad name", func(s *container.Spec) { s.Name = "-x" }, "name"},
		{"long name", func(s *container.Spec) { s.Name = strings.Repeat("a", 64) }, "1-63"},
		{"no image", func(s *container.Spec) { s.Image = "" }, "--image"},
		{"network twice", func(s *container.Spec) { s.Networks = append(s.Networks, container.NetRequest{Network: "n3"}) }, "given twice"},
		{"ifname twice", func(s *container.Spec) { s.Networks[1].IfName = "n3" }, "used twice"},
		{"ifname too long", func(s *container.Spec) { s.Networks[0].IfName = "abcdefghijklmnop" }, "15"},
		{"ifname lo", func(s *container.Spec) { s.Networks[0].IfName = "lo" }, "not lo"},
		{"bad volume", func(s *container.Spec) { s.Volumes = []container.Volume{{Name: "a/b", Path: "/x"}} }, "volume name"},
		{"relative mount", func(s *container.Spec) { s.Volumes = []container.Volume{{Name: "a", Path: "x"}} }, "absolute"},
		{"host sysctl", func(s *container.Spec) { s.Sysctls = map[string]string{"kernel.pid_max": "1"} }, "net.*"},
		{"bad cpus", func(s *container.Spec) { s.Resources.CPUs = -1 }, "cpus"},
		{"tiny memory", func(s *container.Spec) { s.Resources.MemoryBytes = 1 << 20 }, "6Mi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok()
			tt.edit(&s)
			err := validate(&s)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("valid spec refused: %v", err)
				}
				if s.Networks[0].IfName != "n3" {
					t.Errorf("interface name defaults to the network's, got %q", s.Networks[0].IfName)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v; want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}
