"""`kaxl demo`: runs from nothing, writes the sample and the check outputs, tells the user where."""

from __future__ import annotations

import json

from click.testing import CliRunner

from kaxl.cli import main
from kaxl.samples.demo import STEPS, DemoStep, run_demo


def test_demo_command(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("kaxl-sample.xlsx", "check.txt", "check.json"):
        assert (out / name).exists(), name
    document = json.loads((out / "check.json").read_text(encoding="utf-8"))
    assert document["as_of"] == "2026-11-16"
    assert len(document["findings"]) > 30
    assert "项目台账" in (out / "check.txt").read_text(encoding="utf-8")
    assert "请查看 Look at" in result.output and str(out / "check.json") in result.output
    assert "失败 step failed" not in result.output
    assert (out / "templates" / "kaxl-ledger-template.xlsx").exists()
    # the field sheets (SPEC §7): what they hold and one finding of each of their rules
    assert "现场 In the field：线索登记 Leads" in result.output and "拜访记录 Visits" in result.output
    for rule_id in ("LEA-001", "LEA-002", "LEA-003", "PRJ-001", "VIS-001", "VIS-002", "VIS-003", "VIS-004", "VIS-005"):
        assert f"{rule_id} ×1" in result.output, rule_id
        assert rule_id in (out / "check.txt").read_text(encoding="utf-8")
    # the after-sale sheets likewise
    assert "签约之后 After the signature：交付里程碑 Delivery" in result.output
    assert "客户健康度 Health" in result.output and "问题与投诉 Issues" in result.output
    for rule_id in ("DEL-001", "DEL-002", "DEL-003", "DEL-004", "DEL-005", "DEL-006", "HLT-001", "HLT-002",
                    "ISS-001", "ISS-002", "ISS-003"):
        assert f"{rule_id} ×1" in result.output, rule_id


def test_optional_step_failure_is_reported_not_fatal(tmp_path):
    def broken(run):
        raise RuntimeError("preview exploded")

    run = run_demo(tmp_path, steps=(*STEPS[:2], DemoStep("broken", broken)))
    assert run.failed == [("broken", "RuntimeError: preview exploded")]
    assert (tmp_path / "check.json").exists()
