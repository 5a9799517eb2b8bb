package profiles

import (
	"regexp"
	"strconv"
	"strings"
)

// Key paths name a place in a profile: nfs[2].interfaces[0].network, and
// config["ops.listen"] for a key that is not a plain word.

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func joinKey(parent, key string) string {
	if !plainKey.MatchString(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func joinIndex(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// splitLast cuts the last step off a path: "a.b[2]" gives "a.b" and "[2]".
func splitLast(p string) (parent, last string) {
	if strings.HasSuffix(p, `"]`) {
		// A quoted key may hold dots and brackets: find its opening.
		for i := len(p) - 3; i >= 0; i-- {
			if strings.HasPrefix(p[i:], `["`) {
				if _, err := strconv.Unquote(p[i+1 : len(p)-1]); err == nil {
					return p[:i], p[i:]
				}
			}
		}
	}
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return "", p
	}
	return p[:i], p[i:]
}

// joinSuffix appends the step returned by splitLast to a path.
func joinSuffix(parent, last string) string {
	if last == "" {
		return parent
	}
	if parent == "" {
		return strings.TrimPrefix(last, ".")
	}
	if !strings.HasPrefix(last, ".") && !strings.HasPrefix(last, "[") {
		return parent + "." + last
	}
	return parent + last
}
