"""Roles 交付经理 DM and 客户成功 CS (SPEC §7): owner_role takes them, projects' optional columns
delivery_manager and csm name the people, contacts accept the roles, and a finding whose owner
column is blank goes to the AM — down to who gets which digest (the pure recipients plan).

Three signed projects, each with an open milestone whose client confirmation is overdue
(DEL-002, a DM chore; the milestone's own 交付经理 cell is blank, so the project's DM owns it)
and a last health assessment older than 90 days (HLT-002, a CS chore):
  staffed — delivery_manager 刘洋, csm 陈静: their findings go to them;
  blank   — neither column filled: the AM 张伟 owns both;
  spaces  — both cells hold only a full-width space (what people leave behind): also the AM.
"""

from __future__ import annotations

import pytest

from kaxl.api import check_files
from kaxl.digest.recipients import contacts_of, plan
from kaxl.sop.engine import result_json
from tests.aftersale_cases import AS_OF, aftersale_project, assessment, milestone
from tests.ledger_factory import d, write_ledger
from tests.sop_cases import AM, merge

DM, CS = "刘洋", "陈静"
EMAIL = {AM: "zhangwei@example.com", DM: "liuyang@example.com", CS: "chenjing@example.com",
         "周敏": "zhoumin@example.com", "何静": "hejing@example.com"}
OPEN = {"actual_date": None, "signoff_date": None}


def _project(pid: str, **people: str) -> dict[str, list[dict]]:
    rows = aftersale_project(pid, {
        "delivery": [milestone(pid, owner=None, planned_date=d("2026-11-20"), plan_confirmed=None, **OPEN)],
        "health": [assessment(pid, assessed_date=d("2026-07-01"))]})
    rows["projects"][0].update(people)
    return rows


def sheets(contact_roles: tuple[str, str] = ("交付经理", "客户成功")) -> dict[str, list[dict]]:
    rows = merge(merge(_project("staffed", delivery_manager=DM, csm=CS), _project("blank")),
                 _project("spaces", delivery_manager="\u3000", csm="\u3000"))
    dm_role, cs_role = contact_roles
    rows["contacts"] = [{"name": AM, "role": "销售经理", "email": EMAIL[AM]},
                        {"name": DM, "role": dm_role, "email": EMAIL[DM]},
                        {"name": CS, "role": cs_role, "email": EMAIL[CS]}]
    return rows


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return check_files([write_ledger(tmp_path_factory.mktemp("roles") / "台账.xlsx", sheets())], AS_OF)


def owners(result, rule: str) -> dict[str, tuple[str, str]]:
    return {f.project_id: (f.owner_role, f.owner) for f in result.findings if f.rule == rule}


def test_owner_role_takes_dm_and_cs_and_blank_columns_fall_back_to_the_am(result) -> None:
    # owner_role is the owner's role (SPEC §5): the AM 张伟, in Contacts as 销售经理, is AM
    assert owners(result, "DEL-002") == {"staffed": ("DM", DM), "blank": ("AM", AM), "spaces": ("AM", AM)}
    assert owners(result, "HLT-002") == {"staffed": ("CS", CS), "blank": ("AM", AM), "spaces": ("AM", AM)}
    document = result_json(result)
    assert {f["owner_role"] for f in document["findings"] if f["rule"] in ("DEL-002", "HLT-002")} == {"DM", "CS", "AM"}
    assert {a["owner_role"] for a in document["alerts"]} <= {"AM", "PS", "CO", "DM", "CS"}
    assert not [f for f in result.findings if f.rule.startswith("SCH-")], "the people columns are read cleanly"


@pytest.mark.parametrize("style", ["zh", "en", "key"])
def test_projects_people_columns_found_by_any_header(tmp_path, style) -> None:
    result = check_files([write_ledger(tmp_path / "台账.xlsx", sheets(), header_style=style)], AS_OF)
    assert owners(result, "DEL-002")["staffed"] == ("DM", DM)
    assert owners(result, "HLT-002")["staffed"] == ("CS", CS)
    assert not [f for f in result.findings if f.rule == "SCH-009"], "delivery_manager / csm taken for unknown columns"


@pytest.mark.parametrize("typed", [("交付经理", "客户成功"), ("DM", "CS"), (" dm ", "cs"), ("交付", "csm")])
def test_contacts_accept_the_roles_as_typed(tmp_path, typed) -> None:
    result = check_files([write_ledger(tmp_path / "台账.xlsx", sheets(typed))], AS_OF)
    assert not [f for f in result.findings if f.rule == "SCH-005"]
    roles = {c.name: c.role for c in contacts_of(result)}
    assert roles == {AM: "AM", DM: "DM", CS: "CS"}


def test_an_unknown_role_is_still_refused(tmp_path) -> None:
    """The near miss: a role SPEC does not list is SCH-005 on its cell."""
    result = check_files([write_ledger(tmp_path / "台账.xlsx", sheets(("交付总监", "客户成功")))], AS_OF)
    (refused,) = [f for f in result.findings if f.rule == "SCH-005"]
    assert refused.cell.endswith("!B3") and "交付总监" in refused.message_zh


def test_each_dm_and_cs_gets_only_what_they_own_and_the_am_the_rest(result) -> None:
    digests = {digest.recipient.name: digest for digest in plan(result)}
    assert set(digests) == {AM, DM, CS}
    mine = {name: {(i.project_id, i.rule) for i in digest.items} for name, digest in digests.items()}
    assert {rule for pid, rule in mine[DM]} <= {"DEL-001", "DEL-002", "DEL-003"} and ("staffed", "DEL-002") in mine[DM]
    assert {pid for pid, _ in mine[DM]} == {"staffed"}
    assert mine[CS] == {("staffed", "HLT-002")}
    assert {pid for pid, _ in mine[AM]} == {"blank", "spaces"}
    assert {("blank", "DEL-002"), ("blank", "HLT-002"), ("spaces", "DEL-002"), ("spaces", "HLT-002")} <= mine[AM]
    assert digests[DM].recipient.role == "DM" and digests[CS].recipient.role == "CS"


def test_a_dm_or_cs_with_nothing_of_theirs_gets_no_email(tmp_path) -> None:
    rows = sheets()
    rows["contacts"] += [{"name": "周敏", "role": "交付经理", "email": EMAIL["周敏"]},
                         {"name": "何静", "role": "客户成功", "email": EMAIL["何静"]}]
    result = check_files([write_ledger(tmp_path / "台账.xlsx", rows)], AS_OF)
    assert {digest.recipient.name for digest in plan(result)} == {AM, DM, CS}
