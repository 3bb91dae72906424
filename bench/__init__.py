"""Benchmarks (``make bench``): the webhook next to a bare quickstart, and a profile of it."""
