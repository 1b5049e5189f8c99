"""`kaxl digest` / the config file / the Chromium rendering, through the real command line."""

from __future__ import annotations

import email
import shutil
import struct
import subprocess
from email import policy
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from kaxl.api import check_files
from kaxl.cli import main
from kaxl.digest import plan, write_previews
from kaxl.digest.config import ConfigError, config_from_dict, load_config
from kaxl.digest.render import render
from tests.test_digest_support import AS_OF, EXPECTED, XSS, Recorder, at, start_server, write_hand_ledger

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return write_hand_ledger(tmp_path_factory.mktemp("cli") / "ledger.xlsx")


def test_preview_writes_eml_and_html_per_recipient(tmp_path, ledger):
    out = tmp_path / "预览"
    run = CliRunner().invoke(main, ["digest", str(ledger), "--out", str(out), "--as-of", "2026-11-18", "--no-attach"])
    assert run.exit_code == 0, run.output
    names = sorted(p.name for p in out.iterdir())
    chart = "2026-W47_刘总.kaxl-collection-chart.png"  # management's chart, for the browser preview
    assert names == sorted([chart] + [f"2026-W47_{n}.{ext}" for n in ("张伟", "李娜", "孙强", "王总", "刘总")
                                      for ext in ("eml", "html")])
    assert f'src="{quote(chart)}"' in (out / "2026-W47_刘总.html").read_text(encoding="utf-8")
    msg = email.message_from_bytes((out / "2026-W47_张伟.eml").read_bytes(), policy=policy.default)
    assert msg["Subject"] == "【KA周报】2026-W47 张伟：1项逾期，1项本周到期"
    html = (out / "2026-W47_张伟.html").read_text(encoding="utf-8")
    assert XSS not in html and "&lt;script&gt;" in html


def test_write_previews_library_call(tmp_path, ledger):
    written = write_previews(check_files(ledger, AS_OF), tmp_path, now=at("2026-11-18T10:00"))
    assert len(written) == 11 and all(p.stat().st_size > 500 for p in written)
    assert sum(p.suffix == ".png" for p in written) == 1


def test_if_due_from_the_command_line_sends_once(tmp_path, ledger):
    handler = Recorder()
    server = start_server(handler)
    try:
        toml = tmp_path / "kaxl.toml"
        toml.write_text(
            f'ledgers = ["{ledger.as_posix()}"]\n[sender]\nname = "大客户运营"\nemail = "ka@example.com"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "plain"\n'
            '[digest]\nstate_file = "state.json"\nattach_summary = false\n', encoding="utf-8")
        args = ["digest", "--config", str(toml), "--if-due", "--now", "2026-11-18T10:00"]
        first = CliRunner().invoke(main, args)
        second = CliRunner().invoke(main, args)
        early = CliRunner().invoke(main, ["digest", "--config", str(toml), "--if-due", "--now", "2026-11-23T08:00"])
    finally:
        server.stop()
    assert first.exit_code == 0, first.output
    assert "sent 5" in first.output
    assert second.exit_code == 0 and "already been sent" in second.output
    assert early.exit_code == 0 and "already been sent" in early.output  # W48's slot is 09:00
    assert sorted(handler.recipients) == sorted(EXPECTED)
    assert (tmp_path / "state.json").exists()


def test_config_refuses_a_password_and_bad_values(tmp_path):
    with pytest.raises(ConfigError, match="password"):
        config_from_dict({"smtp": {"host": "x", "password": "hunter2"}})
    with pytest.raises(ConfigError, match="security"):
        config_from_dict({"smtp": {"security": "ssl3"}})
    with pytest.raises(ConfigError, match="time"):
        config_from_dict({"schedule": {"time": "9点"}})
    toml = tmp_path / "kaxl.toml"
    toml.write_text('[smtp]\nhost = "x"\npassword = "hunter2"\n', encoding="utf-8")
    run = CliRunner().invoke(main, ["digest", "--config", str(toml), "--out", str(tmp_path)])
    assert run.exit_code == 2 and "password_env" in run.output and "Traceback" not in run.output


def test_example_config_is_valid_and_documented():
    config = load_config(ROOT / "kaxl.toml.example")
    assert config.smtp.security == "starttls" and config.smtp.effective_port == 587
    assert config.schedule.weekday == "monday" and config.schedule.time == "09:00"
    assert config.schedule.timezone == "Asia/Shanghai"
    assert config.ledgers[0].is_absolute() and config.ledgers[0].name == "华东大客户台账.xlsx"
    assert "password =" not in (ROOT / "kaxl.toml.example").read_text(encoding="utf-8")


def test_flags_override_the_file(tmp_path):
    toml = tmp_path / "kaxl.toml"
    toml.write_text('[smtp]\nhost = "a.example.com"\nsecurity = "starttls"\n[digest]\nlanguage = "zh"\n', encoding="utf-8")
    config = load_config(toml).with_overrides(smtp_host="b.example.com", smtp_security="plain", language="en")
    assert (config.smtp.host, config.smtp.effective_port, config.language) == ("b.example.com", 25, "en")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium not installed")
def test_renders_in_headless_chromium(tmp_path, ledger):
    digests = {d.recipient.name: d for d in plan(check_files(ledger, AS_OF))}
    for name in ("张伟", "刘总"):
        html = tmp_path / f"{name}.html"
        html.write_text(render(digests[name], generated_at=at("2026-11-18T10:00")()).html, encoding="utf-8")
        png = tmp_path / f"{name}.png"
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run",
                        f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={png}", "--window-size=700,1400",
                        html.as_uri()], check=True, capture_output=True, timeout=120)
        assert _png_size(png) == (700, 1400)
        assert png.stat().st_size > 20_000  # text and colour, not a blank page
