"""display_width counts in C what a per-character east_asian_width sum counts in Python."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from kaxl.ooxml.textwidth import display_width


def one_by_one(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@settings(max_examples=500)
@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from("“”‘’…—×¥·、。，！客户Ａ１\u3000😀𠀀é\u0800\uffe6"))))
def test_width_equals_the_per_character_sum(text):
    assert display_width(text) == one_by_one(text)


def test_widths_of_what_notes_hold():
    assert display_width("") == 0
    assert display_width("abc") == 3
    assert display_width("回款台账!F12") == 12  # 4 wide + 4 narrow
    assert display_width("金额 “12万” 不是有效的数字") == one_by_one("金额 “12万” 不是有效的数字") == 26  # 10 wide, 6 narrow (the quotes are narrow)
    assert display_width("😀𠀀") == 4  # outside the Basic Multilingual Plane: both wide
    assert display_width("\ud800x") == 2  # a lone surrogate (never from XML) counts as narrow
