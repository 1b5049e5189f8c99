"""The README is tested like code (sqlite-utils style): its commands, options and excerpts
must be what the program really has and really prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kaxl.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands_table() -> dict[str, str]:
    """{command name: the table row's usage text} from the README's command table."""
    rows = re.findall(r"^\| `kaxl ([a-z-]+)([^`]*)` \|", README, flags=re.M)
    return {name: usage for name, usage in rows}


def test_readme_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    assert len(blocks) == 2, blocks
    demo, tests = (b.strip() for b in blocks)
    assert demo.endswith("kaxl demo") and "pip install" in demo
    assert tests.endswith("pytest -q")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci, "the CI must run the README's test command verbatim"


def test_every_command_is_in_the_readme_and_every_readme_command_exists() -> None:
    documented = set(_commands_table())
    registered = set(main.commands)
    assert documented == registered


@pytest.mark.parametrize("name", sorted(_commands_table()))
def test_readme_options_exist_in_help(name: str) -> None:
    run = CliRunner().invoke(main, [name, "--help"])
    assert run.exit_code == 0, run.output
    for option in re.findall(r"--[a-z][a-z-]*", _commands_table()[name]):
        assert option in run.output, f"README documents {option} for kaxl {name}, --help does not know it"


def test_check_excerpt_is_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line of the README's check excerpt is printed by the command shown above it."""
    match = re.search(r"<!-- check-excerpt: (.*?) -->\n```text\n(.*?)```", README, flags=re.S)
    assert match, "README lost its check excerpt"
    monkeypatch.chdir(ROOT)
    args = match.group(1).split()
    assert args[0] == "kaxl"
    run = CliRunner().invoke(main, args[1:])
    printed = {line.rstrip() for line in run.output.splitlines()}
    for line in match.group(2).splitlines():
        if line.strip() and line.strip() != "…":
            assert line.rstrip() in printed, line


def test_readme_pictures_exist() -> None:
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (ROOT / image).is_file(), image


def test_library_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/library.md's example runs as written and makes what it says."""
    page = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "docs/library.md", "exec"), {})  # noqa: S102 - our own documentation
    printed = capsys.readouterr().out
    assert "alerts;" in printed and "1 is what" in printed
    for made in ("台账.xlsx", "汇总.xlsx", "台账.annotated.xlsx", "check.json"):
        assert (tmp_path / made).stat().st_size > 0, made
    assert list((tmp_path / "digest").glob("*.eml"))
