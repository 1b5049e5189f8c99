"""The SOP core: pure functions of a typed ledger, its settings and an as-of date — the
engine that runs the rules, the node and installment tables, scores, computed values, KPIs."""
