"""The JSON writer: one record per line, the same values the json module would give, no failure
on values orjson refuses."""

from __future__ import annotations

import json

import numpy as np

from kaxl.reports.jsonout import dumps, dumps_bytes


def test_indented_and_equal_to_the_json_module():
    document = {
        "schema_version": "1.0",
        "summary": {"errors": 1, "findings": 2},
        "findings": [{"rule": "SCH-001", "message_zh": "客户「<script>」\n第二行", "row": 2, "amount": 1.5},
                     {"rule": "PAY-001", "message_zh": "逾期 3 天", "row": None, "amount": 2e-05}],
        "kpis": {"win_rate": 0.35},
    }
    text = dumps(document)
    assert json.loads(text) == document
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert '  "schema_version": "1.0",' in lines  # one field per line, two spaces in
    assert "客户「<script>」\\n第二行" in text  # Chinese kept as text, the newline escaped
    assert dumps_bytes(document) == text.encode("utf-8")


def test_values_orjson_refuses_fall_back_to_the_json_module():
    huge = 10**30  # somebody typed a 31-digit number into a count column
    document = {"projects": [{"id": "KA-1", "count": huge}, {"id": "KA-2", "count": np.int64(3)}]}
    assert json.loads(dumps(document)) == {"projects": [{"id": "KA-1", "count": huge}, {"id": "KA-2", "count": 3}]}


