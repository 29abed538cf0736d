"""Benchmarks, run with `digestbot bench ...`: not part of the production image."""
