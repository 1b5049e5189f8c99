"""Ledger text made inert in each vendor's markup.

A customer called ``**x**``, ``[a](b)``, ``<at user_id="all">`` or ``@所有人`` must show as
written and mention nobody (SPEC §6: ledger text is data). Feishu's card markdown documents
HTML character references, so the characters are shown exactly. WeCom's and DingTalk's
markdown document no escape at all (a backslash shows as a backslash), so their markup
characters become the full-width forms of the same characters (＊ ＿ ～ ｀ ［ ］ ＜ ＞ ＠), which
read the same to a Chinese user and which neither renderer parses. Our own lines never start
with ledger text, so line-start markup (#, -, >) cannot come from the ledger. Parentheses and
``!`` stay as they are: with the brackets gone no link or image can form, and a cell address
such as ``回款台账!F12`` must read exactly as in Excel.
"""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")

# WeCom / DingTalk: every character their markdown (or their @/<font> extensions) reacts to.
FULL_WIDTH = str.maketrans({
    "*": "＊", "_": "＿", "~": "～", "`": "｀", "[": "［", "]": "］", "<": "＜", ">": "＞", "@": "＠",
})
# Feishu card markdown: HTML character references (documented for < > & and the markup signs).
ENTITIES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", "*": "&#42;", "_": "&#95;", "~": "&#126;", "`": "&#96;",
    "[": "&#91;", "]": "&#93;",
})


def one_line(text: str) -> str:
    """Ledger text on one line: a newline inside a cell must not start markup or break an item.

    Runs of whitespace become one space (not stripped: a segment's own spacing is kept)."""
    return _SPACES.sub(" ", str(text))


def wecom(text: str) -> str:
    return one_line(text).translate(FULL_WIDTH)


def dingtalk(text: str) -> str:
    return one_line(text).translate(FULL_WIDTH)


def feishu(text: str) -> str:
    return one_line(text).translate(ENTITIES)


ESCAPERS = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu}


def wrap(text: str, left: str, right: str) -> str:
    """``left + text + right`` with the text's outer spaces outside the markup (``** x**`` is not bold)."""
    core = text.strip()
    if not core:
        return text
    start = text[: len(text) - len(text.lstrip())]
    end = text[len(text.rstrip()):]
    return f"{start}{left}{core}{right}{end}"


_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.\-]+$")


def identifier(value: str | None) -> str | None:
    """A user id / open id / mobile fit to go into mention markup as is, else None (no mention).

    Ids are never escaped (an escaped id names nobody); one with other characters is a typo
    in the contacts tab, and mentioning nobody is safer than building markup from it."""
    text = (value or "").strip()
    return text if _IDENTIFIER.match(text) else None
