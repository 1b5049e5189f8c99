"""Realistic, deterministic sample ledgers with deliberate mistakes (demo, tests, benchmark)."""
