"""What docs/field.md and docs/aftersale.md quote, beside what the committed sample's check prints:
their text blocks must be real output of `kaxl check sample_ledgers/kaxl-sample.xlsx --lang zh|en`."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from kaxl.cli import main

ROOT = Path(__file__).resolve().parents[1]


def doc_and_printed(doc_name: str, monkeypatch) -> tuple[str, list[str], set[str]]:
    """(the doc's text, the non-blank lines of its ```text blocks, every line the check printed)."""
    doc = (ROOT / "docs" / doc_name).read_text(encoding="utf-8")
    monkeypatch.chdir(ROOT)
    printed: set[str] = set()
    for lang in ("zh", "en"):
        run = CliRunner().invoke(main, ["check", "sample_ledgers/kaxl-sample.xlsx", "--as-of", "2026-11-16",
                                        "--lang", lang, "--limit", "0"])
        printed |= {line.rstrip() for line in run.output.splitlines()}
    blocks = re.findall(r"```text\n(.*?)```", doc, flags=re.S)
    lines = [line.rstrip() for block in blocks for line in block.splitlines() if line.strip()]
    return doc, lines, printed
