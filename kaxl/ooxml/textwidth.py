"""How wide text shows in a cell or note box, in narrow-character units (CJK counts 2).

Used to size note boxes and column widths. Computed per character with
``unicodedata.east_asian_width``, memoised: a 20,000-finding ledger has millions of
characters in its notes but only a few thousand distinct ones.
"""

from __future__ import annotations

import functools
import unicodedata


@functools.lru_cache(maxsize=65536)
def _char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes: 2 for wide/full-width characters, 1 for the rest."""
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))
