package config

import (
	"fmt"
	"regexp"
	"strconv"
)

// memoryLimitRE is a DuckDB memory size as this configuration accepts it: a number and a unit.
// DuckDB itself takes more spellings (bytes, kilobytes, a bare number, ...); fewer is plainer
// to document, and a value that reaches the database's connection settings is better narrow.
var memoryLimitRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?((?i:B|KB|MB|GB|TB|KiB|MiB|GiB|TiB))$`)

// CheckMemoryLimit accepts "" (DuckDB's default, 80% of RAM) or a positive number and a unit:
// B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), e.g. 160MB or 1.5GiB.
func CheckMemoryLimit(s string) error {
	if s == "" {
		return nil
	}
	m := memoryLimitRE.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("%q is not a number and a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), e.g. 160MB or 1GB; leave it empty for 80%% of RAM", s)
	}
	if n, err := strconv.ParseFloat(m[1], 64); err != nil || n <= 0 {
		return fmt.Errorf("%q: the limit must be more than zero", s)
	}
	return nil
}
