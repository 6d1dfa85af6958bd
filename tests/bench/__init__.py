"""Tests of the benchmark data generators (no database needed)."""
