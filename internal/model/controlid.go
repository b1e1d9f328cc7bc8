package model

import (
	"cmp"
	"strconv"
	"strings"
)

// CompareControlIDs orders control ids the way AWS lists them: by service, then by number
// (EC2.2 before EC2.10), with the plain string order as the tie-break.
func CompareControlIDs(a, b string) int {
	as, an, aok := splitControlID(a)
	bs, bn, bok := splitControlID(b)
	if aok && bok {
		if c := strings.Compare(as, bs); c != 0 {
			return c
		}
		if c := cmp.Compare(an, bn); c != 0 {
			return c
		}
	}
	return strings.Compare(a, b)
}

func splitControlID(id string) (string, int, bool) {
	i := strings.LastIndexByte(id, '.')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(id[i+1:])
	return id[:i], n, err == nil
}
