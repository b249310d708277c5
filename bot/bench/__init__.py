"""Benchmarks (`make bench`, `make bench-nlu`, `make bench-xsid`); never part of `make test`."""
