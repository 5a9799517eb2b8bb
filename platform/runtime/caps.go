package runtime

import (
	"strings"

	"github.com/moby/sys/capability"
)

func knownCapability(name string) bool {
	for _, c := range capability.ListKnown() {
		if "CAP_"+strings.ToUpper(c.String()) == name {
			return true
		}
	}
	return false
}
