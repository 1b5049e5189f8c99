"""The legacy VML drawing of one sheet: the shapes that show notes (and form buttons).

Excel draws a note's yellow box from a VML shape whose ``<x:ClientData ObjectType="Note">``
names the cell; the same VML part also holds form-control buttons and other shapes, which are
kept verbatim. Excel's VML is not always well-formed XML (HTML-ish markup inside text boxes),
so it is never given to an XML parser here: shapes are found as text and only whole shapes are
added or removed. The part is handled as Latin-1, which maps every byte to one character and
back, so whatever encoding the producer used survives; what kaxl inserts is pure ASCII (the
note's text itself lives in the comments part).

Shape ids follow Excel's scheme: ``_x0000_s{1024·block + n}``, where the drawing's
``<o:idmap data="…">`` lists the blocks it owns; a block is never shared between drawings.
"""

from __future__ import annotations

import math
import re

from kaxl.ooxml.textwidth import display_width
from kaxl.ooxml.xmltext import ATTRS

_NEW = ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        '<o:idmap v:ext="edit" data="{blocks}"/></o:shapelayout></xml>')
_NOTE_TYPE = ('<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
              '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
_SHAPE = re.compile(r"<v:shape(?=[\s/>])" + ATTRS + r">.*?</v:shape>", re.S)
_IDMAP = re.compile(r"<o:idmap(?=[\s/>])" + ATTRS + r">")
_IDMAP_BYTES = re.compile(_IDMAP.pattern.encode("ascii"))
_SHAPE_ID = re.compile(r"_x0000_s(\d+)")
_BLOCK = 1024
NOTE_COLUMNS = 5  # a note box five default columns wide (~320 px) fits a bilingual line
_CHARS_PER_LINE = 52  # in narrow-character units at 9 pt across NOTE_COLUMNS columns


def blocks_of(vml: bytes) -> set[int]:
    """The id blocks a VML part owns (``<o:idmap data="1,2">``).

    Searched in the bytes (Latin-1 maps each byte to the same character, so the match is the
    same): the idmap sits at the part's start, and decoding a whole part of thousands of notes
    first cost more than everything else this asks (it is asked once per sheet kaxl marks).
    """
    match = _IDMAP_BYTES.search(vml)
    return _blocks_in(match.group().decode("latin-1")) if match is not None else set()


def _blocks_in(idmap: str) -> set[int]:
    data = re.search(r"""data\s*=\s*["']([^"']*)["']""", idmap)
    return {int(n) for n in re.findall(r"\d+", data.group(1))} if data else set()


def _note_position(shape: str) -> tuple[int, int] | None:
    if not re.search(r"""ObjectType\s*=\s*["']Note["']""", shape):
        return None
    row = re.search(r"<x:Row>\s*(\d+)\s*</x:Row>", shape)
    col = re.search(r"<x:Column>\s*(\d+)\s*</x:Column>", shape)
    return (int(row.group(1)) + 1, int(col.group(1)) + 1) if row and col else None


_LINE_WIDTHS: dict[str, int] = {}  # every note starts with the same header line: measured once


def note_size(text: str) -> int:
    """How many default rows (20 px) tall a note box must be to show ``text`` at 9 pt."""
    lines = 0
    for line in text.split("\n"):
        width = _LINE_WIDTHS.get(line)
        if width is None:
            width = display_width(line)
            if len(_LINE_WIDTHS) < 4096:
                _LINE_WIDTHS[line] = width
        lines += max(1, math.ceil(width / _CHARS_PER_LINE))
    return max(4, math.ceil((lines * 12 + 10) / 20))


class Vml:
    def __init__(self, data: bytes | None, taken_blocks: set[int]) -> None:
        """``taken_blocks``: id blocks used by every VML part of the package (for a new part)."""
        if data is None:
            block = max(taken_blocks, default=0) + 1
            self.text = _NEW.format(blocks=block)
        else:
            self.text = data.decode("latin-1")
        self._taken = set(taken_blocks)
        self._original = self.text
        self._shapes: int | None = None  # counted once, then kept up to date by the edits

    @property
    def changed(self) -> bool:
        return self.text != self._original

    def shapes(self) -> int:
        """How many shapes the drawing holds (a scan of the whole part the first time only)."""
        if self._shapes is None:
            self._shapes = sum(1 for _ in _SHAPE.finditer(self.text))
        return self._shapes

    def notes(self) -> dict[tuple[int, int], tuple[int, int]]:
        """(row, col) 1-based → span of the note shape anchored there."""
        found = {}
        for match in _SHAPE.finditer(self.text):
            position = _note_position(match.group())
            if position is not None:
                found.setdefault(position, (match.start(), match.end()))
        return found

    def remove_note(self, row: int, col: int) -> None:
        span = self.notes().get((row, col))
        if span is not None:
            self.text = self.text[: span[0]] + self.text[span[1]:]
            self._shapes = None

    def remove_notes(self, cells: set[tuple[int, int]]) -> None:
        """Remove the note shapes of ``cells`` in one pass (thousands of cells on a re-run)."""
        if not cells:
            return
        pieces, last, kept = [], 0, 0
        for match in _SHAPE.finditer(self.text):
            if _note_position(match.group()) in cells:
                pieces.append(self.text[last: match.start()])
                last = match.end()
            else:
                kept += 1
        pieces.append(self.text[last:])
        self.text = "".join(pieces)
        self._shapes = kept

    def add_notes(self, notes: list[tuple[int, int, str]]) -> None:
        """Append hidden note boxes for (row, col, text), as Excel draws a new note."""
        if not notes:
            return
        if 'id="_x0000_t202"' not in self.text and "id='_x0000_t202'" not in self.text:
            self._insert(_NOTE_TYPE)
        ids = self._allocate(len(notes))
        z = self.shapes() + 1
        close = self.text.rfind("</xml>")
        at = close if close >= 0 else len(self.text)
        # one join: the shapes of a big sheet are megabytes, not copied again into the part
        self.text = "".join([self.text[:at], *_note_shapes(ids, notes, z), self.text[at:]])
        self._shapes = z - 1 + len(notes)

    def _insert(self, markup: str) -> None:
        close = self.text.rfind("</xml>")
        self.text = self.text[:close] + markup + self.text[close:] if close >= 0 else self.text + markup

    def _allocate(self, count: int) -> list[int]:
        """``count`` free shape ids, lowest first, inside this drawing's blocks (adding blocks)."""
        match = _IDMAP.search(self.text)
        blocks = _blocks_in(match.group()) if match is not None else set()
        if not blocks:
            blocks = {max(self._taken, default=0) + 1}
            self._set_blocks(blocks)
        used = {int(n) for n in _SHAPE_ID.findall(self.text)}
        ids: list[int] = []
        for block in sorted(blocks):
            ids += [n for n in range(block * _BLOCK + 1, (block + 1) * _BLOCK) if n not in used][: count - len(ids)]
        while len(ids) < count:
            block = max(self._taken | blocks) + 1
            blocks.add(block)
            self._set_blocks(blocks)
            ids += list(range(block * _BLOCK + 1, (block + 1) * _BLOCK))[: count - len(ids)]
        return ids

    def _set_blocks(self, blocks: set[int]) -> None:
        data = ",".join(str(b) for b in sorted(blocks))
        match = _IDMAP.search(self.text)
        if match is None:
            layout = f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{data}"/></o:shapelayout>'
            opening = re.search(r"<xml(?=[\s/>])" + ATTRS + ">", self.text)
            at = opening.end() if opening else 0
            self.text = self.text[:at] + layout + self.text[at:]
            return
        tag = re.sub(r"""data\s*=\s*["'][^"']*["']""", f'data="{data}"', match.group())
        if tag == match.group():
            tag = tag[:-2] + f' data="{data}"/>' if tag.endswith("/>") else tag[:-1] + f' data="{data}">'
        self.text = self.text[: match.start()] + tag + self.text[match.end():]

    def to_bytes(self) -> bytes:
        return self.text.encode("latin-1")


def _note_shapes(ids: list[int], notes: list[tuple[int, int, str]], z: int) -> list[str]:
    """Hidden note boxes (ids[i] for notes[i], z-index from ``z``), each to the right of its
    (row, col) and sized for its text, as Excel draws a new note.

    One format per box: a big ledger has tens of thousands, so the margin of each column
    (the same for every note in it) is formatted once.
    """
    lefts: dict[int, str] = {}
    shapes = []
    for n, (shape_id, (row, col, text)) in enumerate(zip(ids, notes), start=z):
        rows = note_size(text)
        top = max(row - 2, 0)
        left = lefts.get(col)
        if left is None:
            left = lefts[col] = f"{col * 48 + 11.25:g}"
        shapes.append(
            f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;margin-left:{left}pt;'
            f'margin-top:{top * 15 + 7.5:g}pt;width:{NOTE_COLUMNS * 48}pt;height:{rows * 15}pt;z-index:{n};'
            'visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/>'
            '<v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
            '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
            '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f'<x:Anchor>{col}, 15, {top}, 10, {col + NOTE_COLUMNS}, 15, {top + rows}, 4</x:Anchor>'
            f'<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col - 1}</x:Column>'
            '</x:ClientData></v:shape>')
    return shapes
