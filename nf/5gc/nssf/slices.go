package nssf

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/corebox/corebox/nf/5gc/nfsbi"
	"github.com/free5gc/openapi/models"
)

// SliceConfig is one S-NSSAI this PLMN supports, and the network slice
// instance that serves it.
type SliceConfig struct {
	SST int    `yaml:"sst"`     // 0..255
	SD  string `yaml:"sd"`      // 6 hex digits; empty (or FFFFFF): no SD
	NSI string `yaml:"nsi_id"`  // nsiId handed out for it; may be empty
	NRF string `yaml:"nrf_uri"` // apiRoot of the slice's NRF; empty: nrf.uri
}

var sdRe = regexp.MustCompile(`^[A-Fa-f0-9]{6}$`)

// noSD is the SD value meaning "no SD" (TS 23.003 §28.4.2).
const noSD = "ffffff"

// canonicalSD is sd in lower case, "" for none; ok is false if malformed.
func canonicalSD(sd string) (string, bool) {
	if sd == "" {
		return "", true
	}
	if !sdRe.MatchString(sd) {
		return "", false
	}
	sd = strings.ToLower(sd)
	if sd == noSD {
		return "", true
	}
	return sd, true
}

// checkSnssai reports what is wrong with s, or "".
func checkSnssai(s models.Snssai) string {
	if s.Sst < 0 || s.Sst > 255 {
		return fmt.Sprintf("sst %d: want 0..255", s.Sst)
	}
	if _, ok := canonicalSD(s.Sd); !ok {
		return fmt.Sprintf("sd %q: want 6 hex digits", s.Sd)
	}
	return ""
}

// key is an S-NSSAI in canonical form, comparable with ==.
type key struct {
	sst int32
	sd  string
}

// keyOf is s's canonical form; s must have passed checkSnssai.
func keyOf(s models.Snssai) key {
	sd, _ := canonicalSD(s.Sd)
	return key{sst: s.Sst, sd: sd}
}

func (k key) snssai() models.Snssai { return models.Snssai{Sst: k.sst, Sd: k.sd} }

// validateSlices checks each slice and that none is listed twice.
func validateSlices(slices []SliceConfig) error {
	var errs []error
	if len(slices) == 0 {
		errs = append(errs, errors.New("slices: list at least one supported S-NSSAI"))
	}
	seen := map[key]int{}
	for i, s := range slices {
		at := fmt.Sprintf("slices[%d]", i)
		if s.SST < 0 || s.SST > 255 {
			errs = append(errs, fmt.Errorf("%s: sst %d: want 0..255", at, s.SST))
			continue
		}
		if msg := checkSnssai(models.Snssai{Sst: int32(s.SST), Sd: s.SD}); msg != "" {
			errs = append(errs, fmt.Errorf("%s: %s", at, msg))
			continue
		}
		k := keyOf(models.Snssai{Sst: int32(s.SST), Sd: s.SD})
		if j, dup := seen[k]; dup {
			errs = append(errs, fmt.Errorf("%s: same S-NSSAI as slices[%d]", at, j))
		}
		seen[k] = i
		if s.NRF != "" {
			if err := nfsbi.CheckURI(at+".nrf_uri", s.NRF); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// NRF API URIs of TS 29.510, as NsiInformation names them.
const (
	nrfDiscAPI = "/nnrf-disc/v1"
	nrfMgmtAPI = "/nnrf-nfm/v1"
)

// supported is the slice table: S-NSSAI to its NSI information.
type supported struct {
	order []key
	nsi   map[key]*models.Nssf_NSSel_NsiInformation // nil: no NSI to name
}

func newSupported(slices []SliceConfig, defaultNRF string) *supported {
	s := &supported{nsi: map[key]*models.Nssf_NSSel_NsiInformation{}}
	for _, c := range slices {
		k := keyOf(models.Snssai{Sst: int32(c.SST), Sd: c.SD})
		s.order = append(s.order, k)
		root := strings.TrimSuffix(c.NRF, "/")
		if root == "" {
			root = strings.TrimSuffix(defaultNRF, "/")
		}
		var info *models.Nssf_NSSel_NsiInformation
		if root != "" || c.NSI != "" {
			info = &models.Nssf_NSSel_NsiInformation{NsiId: c.NSI}
			if root != "" {
				info.NrfId, info.NrfNfMgtUri = root+nrfDiscAPI, root+nrfMgmtAPI
			}
		}
		s.nsi[k] = info
	}
	return s
}

func (s *supported) has(k key) bool {
	_, ok := s.nsi[k]
	return ok
}
