"""Benchmarks: `python -m bench` prints tables of figures (see README)."""
