"""Hand-written Numba kernels over flat float64 arrays and plain ints (no validation here)."""
