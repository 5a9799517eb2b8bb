package udr

import (
	"fmt"
	"net/http"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/proto/sbi"
)

// Patch paths of the authentication subscription that may change.
const (
	PathSQN            = "/sequenceNumber/sqn"
	PathSequenceNumber = "/sequenceNumber"
)

// SQNPatch is the conditional update a UDM sends to move the SQN from old
// to next: it fails with 409 when another writer moved it first.
func SQNPatch(old, next string) []models.PatchItem {
	return []models.PatchItem{
		{Op: models.PatchOperation_TEST, Path: PathSQN, Value: old},
		{Op: models.PatchOperation_REPLACE, Path: PathSQN, Value: next},
	}
}

// ParseSQNPatch turns a JSON Patch on the authentication subscription into
// SQN steps. Only "test" and "replace" of /sequenceNumber/sqn, and
// "replace" of /sequenceNumber (its sqn member), are allowed: anything
// else is 403 MODIFICATION_NOT_ALLOWED; a malformed value is 400.
func ParseSQNPatch(items []models.PatchItem) ([]SQNOp, *sbi.ProblemError) {
	if len(items) == 0 {
		return nil, sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEMissing, "empty patch")
	}
	ops := make([]SQNOp, 0, len(items))
	for i, it := range items {
		var raw any
		switch {
		case it.Path == PathSQN && (it.Op == models.PatchOperation_TEST || it.Op == models.PatchOperation_REPLACE):
			raw = it.Value
		case it.Path == PathSequenceNumber && it.Op == models.PatchOperation_REPLACE:
			obj, ok := it.Value.(map[string]any)
			if !ok {
				return nil, badPatch(i, "value of /sequenceNumber must be an object with sqn")
			}
			raw = obj["sqn"]
		default:
			return nil, sbi.NewProblem(http.StatusForbidden, sbi.CauseModificationNotAllowed,
				fmt.Sprintf("patch[%d]: %q of %q is not allowed; only test/replace of %s", i, it.Op, it.Path, PathSQN))
		}
		str, ok := raw.(string)
		if !ok {
			return nil, badPatch(i, "sqn must be a string of 12 hex digits")
		}
		v, err := sqnOf(str)
		if err != nil {
			return nil, badPatch(i, err.Error())
		}
		ops = append(ops, SQNOp{Test: it.Op == models.PatchOperation_TEST, Value: v})
	}
	return ops, nil
}

func badPatch(i int, msg string) *sbi.ProblemError {
	p := sbi.NewProblem(http.StatusBadRequest, sbi.CauseMandatoryIEIncorrect, fmt.Sprintf("patch[%d]: %s", i, msg))
	p.Problem.InvalidParams = []models.InvalidParam{{Param: fmt.Sprintf("/%d/value", i), Reason: msg}}
	return p
}
