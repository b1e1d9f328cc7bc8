package demo

import "math"

// Hashing: every decision is a hash of stable keys, so any day can be computed on its own and
// adding a control or an account leaves the others' histories unchanged (but for the class quotas
// of classify, where a new control can push one other across a quota's edge).

// mix is the splitmix64 finalizer.
func mix(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	z ^= z >> 31
	return z
}

func hash2(a, b uint64) uint64 { return mix(a ^ mix(b+0x9e3779b97f4a7c15)) }

// strKey is FNV-1a of s, mixed.
func strKey(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix(h)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// between maps a hash to [lo, hi]; lo when the range is empty.
func between(h uint64, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + int(h%uint64(hi-lo+1))
}

// stochRound rounds x down or up with probability its fraction, so small means still yield some.
func stochRound(x float64, h uint64) int {
	f := math.Floor(x)
	if unit(h) < x-f {
		f++
	}
	return int(f)
}

// weighted picks an index with probability proportional to weight(i).
func weighted(h uint64, n int, weight func(int) int) int {
	total := 0
	for i := 0; i < n; i++ {
		total += weight(i)
	}
	if total == 0 {
		return 0
	}
	x := int(h % uint64(total))
	for i := 0; i < n; i++ {
		if x -= weight(i); x < 0 {
			return i
		}
	}
	return n - 1
}
