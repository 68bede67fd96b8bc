"""Benchmarks: scripts that print measured figures (`make bench`); not part of `make test`."""
