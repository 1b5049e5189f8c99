"""owner_role is the role of the owner (SPEC §5): a finding owned by someone in 通讯录 Contacts
carries that person's role — in the console label, the JSON findings and the JSON alerts — and
keeps the rule's role otherwise.

Three projects, each with an issue open 8 days (ISS-001, an AM rule whose owner is the issue's
责任人) and one raised 2 days ago (its upcoming ISS-001 node):
  cs       — 责任人 杜军, in Contacts as 客户成功: CS, 杜军（客户成功）;
  stranger — 责任人 孙磊, not in Contacts: the rule's AM;
  director — 责任人 胡红梅, in Contacts as 销售总监 (not an owner role): AM in JSON, but the
             console labels her 销售总监 — never 销售经理.
"""

from __future__ import annotations

import pytest

from kaxl.api import check_files
from kaxl.reports.console import render
from kaxl.sop.engine import result_json
from tests.aftersale_cases import AS_OF, aftersale_project, issue
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, merge

OWNERS = {"cs": "杜军", "stranger": "孙磊", "director": "胡红梅"}


def _project(pid: str) -> dict[str, list[dict]]:
    owner = OWNERS[pid]
    return aftersale_project(pid, {"issues": [
        issue(pid, 1, raised_date=d("2026-11-08"), resolved_date=None, status="开放", owner=owner),
        issue(pid, 2, raised_date=d("2026-11-14"), resolved_date=None, status="开放", owner=owner)]})


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    rows = merge(merge(_project("cs"), _project("stranger")), _project("director"))
    rows["contacts"] = [{"name": AM, "role": "销售经理", "email": "zhangwei@example.com"},
                        {"name": "杜军", "role": "客户成功", "email": "dujun@example.com"},
                        {"name": "胡红梅", "role": "销售总监", "email": "huhongmei@example.com"}]
    return check_files([write_ledger(tmp_path_factory.mktemp("owner-roles") / "台账.xlsx", rows)], AS_OF)


def test_json_owner_role_follows_the_owners_contacts_role(result) -> None:
    document = result_json(result)
    findings = {f["project_id"]: (f["owner_role"], f["owner"]) for f in document["findings"] if f["rule"] == "ISS-001"}
    assert findings == {"cs": ("CS", "杜军"), "stranger": ("AM", "孙磊"), "director": ("AM", "胡红梅")}
    for kind in ("finding", "upcoming"):
        alerts = {a["project_id"]: (a["owner_role"], a["owner"]) for a in document["alerts"]
                  if a["rule"] == "ISS-001" and a["kind"] == kind}
        assert alerts == findings, kind


def test_console_labels_the_owner_with_their_contacts_role(result) -> None:
    zh, en = render(result, "zh", limit=None), render(result, "en", limit=None)
    heads_zh = {line for line in zh.splitlines() if line.startswith("■ ")}
    heads_en = {line for line in en.splitlines() if line.startswith("■ ")}
    assert any(line.startswith("■ 杜军（客户成功）：") for line in heads_zh), heads_zh
    assert any(line.startswith("■ 孙磊（销售经理）：") for line in heads_zh), heads_zh
    assert any(line.startswith("■ 胡红梅（销售总监）：") for line in heads_zh), heads_zh
    assert not any(name in line and "销售经理" in line for line in heads_zh for name in ("杜军", "胡红梅"))
    assert {"■ 杜军 (CS)", "■ 孙磊 (AM)", "■ 胡红梅 (sales director)"} <= {line.split(":")[0] for line in heads_en}
