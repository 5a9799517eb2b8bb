package nfkit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"

	"gopkg.in/yaml.v3"
)

// Validator is implemented by configs that check themselves after loading.
type Validator interface {
	Validate() error
}

// Load reads the YAML file at path over the values already in into (the
// defaults), rejecting unknown keys with file:line, then validates into.
// ${self.NET} becomes this instance's address on interface NET.
func Load(path string, into any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if data, err = ExpandSelf(path, data, InterfaceAddr); err != nil {
		return err
	}
	if err := Decode(path, data, into); err != nil {
		return err
	}
	return Validate(path, into)
}

// Decode strictly decodes one YAML document from data over into, which must
// be a non-nil pointer. name prefixes error positions ("name:line: ...").
// Keys absent from data keep their current values; an empty document
// changes nothing. It does not validate: defaults alone may be incomplete.
func Decode(name string, data []byte, into any) error {
	rv := reflect.ValueOf(into)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("%s: decode target must be a non-nil pointer, got %T", name, into)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return positioned(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s:%d: only one YAML document is allowed", name, extra.Line)
	}
	// Our walk names the known keys; yaml.v3's own strict decode below stays
	// the authority for everything else (types, durations, overflow).
	if errs := unknownKeys(name, &doc, rv.Type().Elem(), ""); len(errs) > 0 {
		return errors.Join(errs...)
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(into); err != nil {
		return positioned(name, err)
	}
	return nil
}

// Validate calls cfg.Validate when cfg has one, naming the source in errors.
func Validate(name string, cfg any) error {
	v, ok := cfg.(Validator)
	if !ok {
		return nil
	}
	if err := v.Validate(); err != nil {
		return fmt.Errorf("%s: invalid config: %w", name, err)
	}
	return nil
}

var (
	typeErrLine   = regexp.MustCompile(`^line (\d+): (.*)$`)
	syntaxErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// positioned rewrites yaml.v3's "line N: msg" errors as "name:N: msg", the
// form editors and humans jump to.
func positioned(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		errs := make([]error, 0, len(te.Errors))
		for _, msg := range te.Errors {
			errs = append(errs, lineMsg(name, typeErrLine, msg))
		}
		return errors.Join(errs...)
	}
	return lineMsg(name, syntaxErrLine, err.Error())
}

func lineMsg(name string, re *regexp.Regexp, msg string) error {
	if m := re.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", name, m[1], m[2])
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// MustDecode decodes an NF's embedded default config. A failure is a bug
// in that file, which the NF's own tests catch, so it panics.
func MustDecode[T any](name string, data []byte) T {
	var c T
	if err := Decode(name, data, &c); err != nil {
		panic(err)
	}
	return c
}
