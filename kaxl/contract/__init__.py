"""The ledger contract (SPEC §2–§3) as data: sheets and columns, settings, rule ids, the
working-day calendar and what a finding carries. Everything else is derived from it."""
