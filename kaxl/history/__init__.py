"""Snapshot history (SPEC §8): what the ledger showed on earlier as-of dates, and what moved."""
