package nrf

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Bounds on one PATCH: a heartbeat has one item, and copies must not grow
// a profile without limit (each copy of a subtree into itself doubles it).
const (
	maxPatchItems = 64
	maxNodes      = 1 << 14
)

// applyPatch applies a JSON Patch (RFC 6902) to p and returns the result;
// p is untouched. The profile goes through its JSON form, so any attribute
// can be patched; the caller checks the result is still valid.
func applyPatch(p models.Nrf_NFMgmt_NFProfile, items []models.PatchItem) (models.Nrf_NFMgmt_NFProfile, error) {
	if len(items) == 0 || len(items) > maxPatchItems {
		return p, patchProblem("", fmt.Sprintf("want 1..%d patch items, got %d", maxPatchItems, len(items)))
	}
	data, err := json.Marshal(p)
	if err != nil {
		return p, fmt.Errorf("encode profile: %w", err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return p, fmt.Errorf("decode profile: %w", err)
	}
	nodes := countNodes(doc)
	for i, it := range items {
		if doc, err = applyOp(doc, it, &nodes); err != nil {
			return p, patchProblem(fmt.Sprintf("/%d", i), err.Error())
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return p, fmt.Errorf("encode patched profile: %w", err)
	}
	var next models.Nrf_NFMgmt_NFProfile
	if pe := sbi.ParseJSON(out, &next); pe != nil {
		pe.Problem.Detail = "patched profile: " + pe.Problem.Detail
		return p, pe
	}
	return next, nil
}

func patchProblem(param, reason string) *sbi.ProblemError {
	pe := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, reason)
	if param != "" {
		pe.Problem.InvalidParams = []models.InvalidParam{{Param: param, Reason: reason}}
	}
	return pe
}

// applyOp applies one operation; nodes counts the document's size.
func applyOp(doc any, it models.PatchItem, nodes *int) (any, error) {
	path, err := parsePointer(it.Path)
	if err != nil {
		return doc, err
	}
	if len(path) == 0 {
		return doc, fmt.Errorf("%s of the whole profile is not allowed: use PUT", it.Op)
	}
	switch it.Op {
	case models.PatchOperation_ADD:
		if err := grow(nodes, it.Value); err != nil {
			return doc, err
		}
		return add(doc, path, it.Value)
	case models.PatchOperation_REMOVE:
		doc, _, err = remove(doc, path, false)
		return doc, err
	case models.PatchOperation_REPLACE:
		if doc, _, err = remove(doc, path, false); err != nil {
			return doc, err
		}
		if err := grow(nodes, it.Value); err != nil {
			return doc, err
		}
		return add(doc, path, it.Value)
	case models.PatchOperation_TEST:
		got, err := get(doc, path)
		if err != nil {
			return doc, err
		}
		if !reflect.DeepEqual(got, normalize(it.Value)) {
			return doc, fmt.Errorf("test %s failed", it.Path)
		}
		return doc, nil
	case models.PatchOperation_MOVE, models.PatchOperation_COPY:
		from, err := parsePointer(it.From)
		if err != nil {
			return doc, fmt.Errorf("from: %w", err)
		}
		v, err := get(doc, from)
		if err != nil {
			return doc, err
		}
		if it.Op == models.PatchOperation_MOVE {
			if doc, _, err = remove(doc, from, true); err != nil {
				return doc, err
			}
		} else {
			if err := grow(nodes, v); err != nil {
				return doc, err
			}
			v = clone(v)
		}
		return add(doc, path, v)
	}
	return doc, fmt.Errorf("unknown op %q", it.Op)
}

// parsePointer splits an RFC 6901 JSON Pointer into unescaped tokens.
func parsePointer(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if !strings.HasPrefix(s, "/") {
		return nil, fmt.Errorf("path %q: a JSON Pointer starts with /", s)
	}
	toks := strings.Split(s[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// add sets path to v: a member of an object, or an insertion into an
// array ("-" appends). Returns the (possibly new) document.
func add(doc any, path []string, v any) (any, error) {
	v = normalize(v)
	if len(path) == 0 {
		return v, nil
	}
	key, rest := path[0], path[1:]
	switch c := doc.(type) {
	case map[string]any:
		if len(rest) == 0 {
			c[key] = v
			return c, nil
		}
		child, ok := c[key]
		if !ok {
			return doc, fmt.Errorf("no member %q", key)
		}
		next, err := add(child, rest, v)
		c[key] = next
		return c, err
	case []any:
		if len(rest) == 0 {
			i := len(c)
			if key != "-" {
				var err error
				if i, err = index(key, len(c)+1); err != nil {
					return doc, err
				}
			}
			return append(c[:i], append([]any{v}, c[i:]...)...), nil
		}
		i, err := index(key, len(c))
		if err != nil {
			return doc, err
		}
		c[i], err = add(c[i], rest, v)
		return c, err
	}
	return doc, fmt.Errorf("%q: not inside an object or array", key)
}

// remove deletes path and returns the document and the removed value.
// Unless strict, a missing last member is no error: the models omit zero
// values, so "replace /load" must work on a profile whose load is 0.
func remove(doc any, path []string, strict bool) (any, any, error) {
	if len(path) == 0 {
		return doc, nil, fmt.Errorf("cannot remove the whole profile")
	}
	key, rest := path[0], path[1:]
	switch c := doc.(type) {
	case map[string]any:
		child, ok := c[key]
		if !ok && len(rest) == 0 && !strict {
			return c, nil, nil
		}
		if !ok {
			return doc, nil, fmt.Errorf("no member %q", key)
		}
		if len(rest) == 0 {
			delete(c, key)
			return c, child, nil
		}
		next, old, err := remove(child, rest, strict)
		c[key] = next
		return c, old, err
	case []any:
		i, err := index(key, len(c))
		if err != nil {
			return doc, nil, err
		}
		if len(rest) == 0 {
			old := c[i]
			return append(c[:i], c[i+1:]...), old, nil
		}
		next, old, err := remove(c[i], rest, strict)
		c[i] = next
		return c, old, err
	}
	return doc, nil, fmt.Errorf("%q: not inside an object or array", key)
}

func get(doc any, path []string) (any, error) {
	for _, key := range path {
		switch c := doc.(type) {
		case map[string]any:
			v, ok := c[key]
			if !ok {
				return nil, fmt.Errorf("no member %q", key)
			}
			doc = v
		case []any:
			i, err := index(key, len(c))
			if err != nil {
				return nil, err
			}
			doc = c[i]
		default:
			return nil, fmt.Errorf("%q: not inside an object or array", key)
		}
	}
	return doc, nil
}

// index parses an array index below n (no leading zeros, per RFC 6901).
func index(tok string, n int) (int, error) {
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 || i >= n || (len(tok) > 1 && tok[0] == '0') {
		return 0, fmt.Errorf("array index %q out of range (length %d)", tok, n)
	}
	return i, nil
}

// normalize gives a patch value the shapes json.Unmarshal into any makes
// (float64, map[string]any, []any), so test compares like with like.
func normalize(v any) any {
	switch v.(type) {
	case nil, bool, float64, string, map[string]any, []any:
		return v
	}
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return v
	}
	return out
}

func clone(v any) any {
	switch c := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(c))
		for k, e := range c {
			m[k] = clone(e)
		}
		return m
	case []any:
		s := make([]any, len(c))
		for i, e := range c {
			s[i] = clone(e)
		}
		return s
	}
	return v
}

// grow adds v's size to nodes, failing past maxNodes.
func grow(nodes *int, v any) error {
	*nodes += countNodes(normalize(v))
	if *nodes > maxNodes {
		return fmt.Errorf("patched profile over %d JSON values", maxNodes)
	}
	return nil
}

func countNodes(v any) int {
	n := 1
	switch c := v.(type) {
	case map[string]any:
		for _, e := range c {
			n += countNodes(e)
		}
	case []any:
		for _, e := range c {
			n += countNodes(e)
		}
	}
	return n
}
