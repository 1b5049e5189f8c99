"""Pictures for docs/channels.md: each vendor's message rendered roughly as its app shows it.

Builds the channel payloads of the hand ledger used by tests/test_channels.py (with a customer
named in markup, to show the escaping), turns each vendor's markdown into HTML the way its
app renders it (WeCom/DingTalk: their markdown subset with <font> and @-mentions; Feishu: a
card whose markdown decodes HTML character references), and screenshots it with headless
Chromium. Run: ``PYTHONPATH=. python tests/tools/channel_mock.py docs/images``.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FRAME = """<!doctype html><meta charset="utf-8"><style>
body {{ margin:0; background:{bg}; font:14px/1.55 "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif; }}
.app {{ padding:14px 18px; }} .bar {{ color:#555; font-size:13px; margin-bottom:10px; }}
.row {{ display:flex; gap:10px; }} .avatar {{ width:36px; height:36px; border-radius:{radius}; background:{accent};
  color:#fff; display:flex; align-items:center; justify-content:center; font-size:13px; flex:none; }}
.name {{ color:#888; font-size:12px; margin-bottom:4px; }}
.bubble {{ background:#fff; border-radius:6px; padding:10px 14px; max-width:640px; box-shadow:0 1px 2px rgba(0,0,0,.08); }}
.at {{ color:{at}; }} h4 {{ margin:0 0 6px; font-size:15px; }}
.card-head {{ background:#3370ff; color:#fff; margin:-10px -14px 10px; padding:10px 14px; border-radius:6px 6px 0 0;
  font-weight:600; }} .note {{ color:#8f959e; font-size:12px; margin-top:8px; }}
</style><div class="app"><div class="bar">{group}</div><div class="row"><div class="avatar">{short}</div>
<div><div class="name">{robot}</div><div class="bubble">{body}</div></div></div></div>"""

WECOM_COLORS = {"warning": "#ff6a00", "comment": "#999999", "info": "#07c160"}
FEISHU_COLORS = {"red": "#f54a45", "orange": "#ff8800", "grey": "#8f959e", "green": "#34c724"}


def _common(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return text.replace("  \n", "<br>").replace("\n", "<br>")


def wecom(payload: dict, names: dict[str, str]) -> str:
    text = html.escape(payload["markdown"]["content"], quote=False)
    text = re.sub(r'&lt;font color="(\w+)"&gt;(.*?)&lt;/font&gt;',
                  lambda m: f'<span style="color:{WECOM_COLORS.get(m[1], "#333")}">{m[2]}</span>', text)
    text = re.sub(r"&lt;@([\w.-]+)&gt;", lambda m: f'<span class="at">@{names.get(m[1], m[1])}</span>', text)
    return _common(text)


def dingtalk(payload: dict, names: dict[str, str]) -> str:
    text = html.escape(payload["markdown"]["text"], quote=False)
    text = re.sub(r"^#### (.*)$", r"<h4>\1</h4>", text, flags=re.M)
    text = re.sub(r'&lt;font color="(#\w+)"&gt;(.*?)&lt;/font&gt;', r'<span style="color:\1">\2</span>', text)
    for mobile in payload.get("at", {}).get("atMobiles", []) + payload.get("at", {}).get("atUserIds", []):
        text = text.replace(f"@{mobile}", f'<span class="at">@{names.get(mobile, mobile)}</span>')
    return _common(text)


def feishu(payload: dict, names: dict[str, str]) -> str:
    card = payload["card"]
    parts = [f'<div class="card-head">{html.escape(card["header"]["title"]["content"])}</div>']
    for element in card["elements"]:
        if element["tag"] == "markdown":  # ledger text is already character references: keep them
            text = re.sub(r"<at id=([\w-]+)></at>", lambda m: f'<span class="at">@{names.get(m[1], m[1])}</span>',
                          element["content"])
            text = re.sub(r"<font color='(\w+)'>(.*?)</font>",
                          lambda m: f'<span style="color:{FEISHU_COLORS.get(m[1], "#333")}">{m[2]}</span>', text)
            parts.append(_common(text))
        elif element["tag"] == "note":
            parts.append(f'<div class="note">{html.escape(element["elements"][0]["content"])}</div>')
    return "".join(parts)


STYLE = {
    "wecom": dict(bg="#f1f1f1", accent="#2b7bd6", radius="4px", at="#2b7bd6", short="KA",
                  group="企业微信 · 华东大客户群", robot="KA周报机器人", render=wecom),
    "dingtalk": dict(bg="#f2f3f5", accent="#1677ff", radius="50%", at="#1677ff", short="KA",
                     group="钉钉 · 大客户回款群", robot="KA周报 (机器人)", render=dingtalk),
    "feishu": dict(bg="#f5f6f7", accent="#3370ff", radius="50%", at="#3370ff", short="KA",
                   group="飞书 · 华东销售团队", robot="KA周报机器人", render=feishu),
}


def main(out_dir: str) -> None:
    import copy

    from kaxl.api import check_files
    from kaxl.channels.deliver import parts_of
    from kaxl.digest.config import config_from_dict
    from tests import test_channels as t
    from tests.ledger_factory import write_ledger

    out = Path(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = write_ledger(Path(tmp) / "ledger.xlsx", copy.deepcopy(t._sheets()))
        result = check_files(ledger, t.support.AS_OF)
        channels = [{"kind": "wecom", "audience": "person:张伟", "url_env": "X"},
                    {"kind": "dingtalk", "audience": "person:孙强", "url_env": "X", "keyword": "KA周报"},
                    {"kind": "feishu", "audience": "team:王总", "url_env": "X"}]
        config = config_from_dict({"channel": channels, "digest": {"attach_summary": False}})
        names = {"zhangwei": "张伟", "lina": "李娜", "ou_zw": "张伟", "ou_ln": "李娜", "13700003333": "孙强"}
        for channel, parts in parts_of(result, config):
            style = dict(STYLE[channel.kind])
            render = style.pop("render")
            page = Path(tmp) / f"{channel.kind}.html"
            page.write_text(FRAME.format(body=render(parts[0].payload, names), **style), encoding="utf-8")
            png = out / f"channel-{channel.kind}.png"
            subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--user-data-dir={Path(tmp) / 'chromium'}", f"--screenshot={png}",
                            f"--window-size=760,{1500 if channel.kind == 'feishu' else 640}", page.as_uri()], check=True, capture_output=True, timeout=120)
            print(png)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/images")
