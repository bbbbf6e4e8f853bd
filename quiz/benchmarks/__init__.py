"""Benchmarks run by ``stride bench``: numbers to read, never pass/fail tests."""
