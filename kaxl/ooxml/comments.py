"""Legacy comments ("notes") of one sheet: the commentsN.xml part, edited comment by comment.

A user's note is never replaced: kaxl's text is appended after :data:`SEPARATOR` in a run of
its own, so the user's runs (and their fonts) stay exactly as they were, and the original
``<comment>`` element can be put back verbatim when the copy is annotated again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from kaxl.ooxml.xmltext import (
    ATTRS,
    MAIN_NS,
    attributes,
    cell_text,
    decode,
    encode,
    escape_attribute,
    escape_text,
    needs_cell_escape,
    root_prefix,
)

SEPARATOR = "──────── kaxl ────────"
AUTHOR = "kaxl"
# 9 pt SimSun, as Chinese Excel writes notes; readers without it fall back to any CJK font.
_RUN_PROPS = '<{p}rPr><{p}sz val="9"/><{p}color indexed="81"/><{p}rFont val="宋体"/><{p}family val="3"/>' \
             '<{p}charset val="134"/></{p}rPr>'
_NEW = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<comments xmlns="{MAIN_NS}"><authors></authors><commentList></commentList></comments>')
_T = re.compile(r"<(?:[\w.-]+:)?t(?=[\s/>])" + ATTRS + r"(?:/>|>(.*?)</(?:[\w.-]+:)?t>)", re.S)
_RPH = re.compile(r"<(?:[\w.-]+:)?rPh(?=[\s/>]).*?</(?:[\w.-]+:)?rPh>", re.S)


def plain_text(comment: str) -> str:
    """What the note shows: every run's text (phonetic hints left out), unescaped."""
    body = _RPH.sub("", comment)
    return "".join(html.unescape(m.group(1) or "") for m in _T.finditer(body)).replace("\r\n", "\n")


class Comments:
    def __init__(self, data: bytes | None) -> None:
        text, self._codec = decode(data) if data is not None else (_NEW, "utf-8")
        self._p = p = root_prefix(text)
        self._run_props = _RUN_PROPS.format(p=p)  # the same for every run kaxl writes
        opening = re.compile(r"<%scommentList(?=[\s/>])%s>" % (re.escape(p), ATTRS)).search(text)
        if opening is None:  # no list at all: add an empty one before </comments>
            close = text.rfind(f"</{p}comments>")
            text = text[:close] + f"<{p}commentList></{p}commentList>" + text[close:]
            opening = re.compile(r"<%scommentList(?=[\s/>])%s>" % (re.escape(p), ATTRS)).search(text)
        assert opening is not None
        if opening.group().endswith("/>"):
            self._head = text[: opening.start()] + opening.group()[:-2].rstrip() + ">"
            self._tail = f"</{p}commentList>" + text[opening.end():]
            body = ""
        else:
            close = text.find(f"</{p}commentList>", opening.end())
            self._head, body, self._tail = text[: opening.end()], text[opening.end(): close], text[close:]
        # [text before the element (whitespace), the <comment> element]; None once removed.
        self._author_ids: dict[str, int] = {}  # authors are only ever appended: an index stays valid
        self._entries: list[list[str] | None] = []
        self._by_ref: dict[str, list[str]] = {}
        pattern = re.compile(r"<%scomment(?=[\s/>])%s>.*?</%scomment>|<%scomment(?=[\s/>])%s/>" % (
            re.escape(p), ATTRS, re.escape(p), re.escape(p), ATTRS), re.S)
        last = 0
        for match in pattern.finditer(body):
            self._add_entry(body[last: match.start()], match.group())
            last = match.end()
        self._trailing = body[last:]
        self._original = self.to_bytes()

    def _add_entry(self, before: str, comment: str, ref: str | None = None) -> None:
        entry = [before, comment]
        self._entries.append(entry)
        self._by_ref.setdefault(ref if ref is not None else _ref_of(comment), entry)

    @property
    def changed(self) -> bool:
        return self.to_bytes() != self._original

    def refs(self) -> list[str]:
        return list(self._by_ref)

    def get(self, ref: str) -> str | None:
        entry = self._by_ref.get(ref.upper())
        return None if entry is None else entry[1]

    def __len__(self) -> int:
        return len(self._by_ref)

    def author_id(self, name: str = AUTHOR) -> int:
        """Index of author ``name``, adding it at the end of <authors> if absent."""
        known = self._author_ids.get(name)
        if known is not None:  # asked once per new note: thousands of times on a big ledger
            return known
        self._author_ids[name] = index = self._find_author(name)
        return index

    def _find_author(self, name: str) -> int:
        p = self._p
        authors = re.compile(r"<%sauthors(?=[\s/>])%s>" % (re.escape(p), ATTRS)).search(self._head)
        if authors is None:
            at = self._head.rfind(f"<{p}commentList")
            self._head = self._head[:at] + f"<{p}authors></{p}authors>" + self._head[at:]
            authors = re.compile(r"<%sauthors(?=[\s/>])%s>" % (re.escape(p), ATTRS)).search(self._head)
        assert authors is not None
        if authors.group().endswith("/>"):
            self._head = (self._head[: authors.start()] + authors.group()[:-2].rstrip() + f"></{p}authors>"
                          + self._head[authors.end():])
            authors = re.compile(r"<%sauthors(?=[\s/>])%s>" % (re.escape(p), ATTRS)).search(self._head)
        close = self._head.find(f"</{p}authors>", authors.end())
        names = [html.unescape(m.group(1)) for m in re.finditer(
            r"<%sauthor(?:\s[^>]*)?>(.*?)</%sauthor>" % (re.escape(p), re.escape(p)), self._head[authors.end(): close],
            re.S)]
        names += ["" for _ in re.finditer(r"<%sauthor(?:\s[^>]*)?/>" % re.escape(p), self._head[authors.end(): close])]
        if name in names:
            return names.index(name)
        self._head = self._head[:close] + f"<{p}author>{escape_text(name)}</{p}author>" + self._head[close:]
        return len(names)

    def run(self, text: str) -> str:
        p = self._p
        return f'<{p}r>{self._run_props}<{p}t xml:space="preserve">{escape_text(cell_text(text))}</{p}t></{p}r>'

    @staticmethod
    def shown_text(text: str) -> str:
        """What :func:`plain_text` reads back from a :meth:`new_comment` of ``text``: its one run
        holds ``escape_text(cell_text(text))``, which unescaping undoes exactly."""
        return cell_text(text).replace("\r\n", "\n")

    def _new_comment_frame(self) -> tuple[str, str, str]:
        """What comes before the ref, between the ref and the escaped text, and after the text,
        in every comment kaxl writes (one run, kaxl's author)."""
        p = self._p
        return (f'<{p}comment ref="',
                f'" authorId="{self.author_id()}"><{p}text><{p}r>{self._run_props}<{p}t xml:space="preserve">',
                f"</{p}t></{p}r></{p}text></{p}comment>")

    def new_comment(self, ref: str, text: str) -> str:
        """One new comment of ``text`` at ``ref`` (:meth:`add_new` writes many at once)."""
        start, opening, closing = self._new_comment_frame()
        return start + escape_attribute(ref) + opening + escape_text(cell_text(text)) + closing

    def add_new(self, notes: Sequence[tuple[str, str]]) -> list[str]:
        """Put a :meth:`new_comment` at each (ref, text) and return each one's :meth:`shown_text`.

        A large ledger has tens of thousands of new notes, so what is the same for all of them
        is done once: one scan of their joined text for characters Excel's escape must change
        (there nearly never are any; a match can never span the joining line break), one author
        look-up, one opening and closing of the element around the escaped text.
        """
        texts = [text for _, text in notes]
        joined = "\n".join(texts)
        safe = [cell_text(text) for text in texts] if needs_cell_escape(joined) else texts
        markup = "&" in joined or "<" in joined or ">" in joined
        start, opening, closing = self._new_comment_frame()
        for (ref, _), text in zip(notes, safe):  # a ref of letters and digits needs no escape
            comment = (start + (ref if ref.isalnum() else escape_attribute(ref)) + opening
                       + (escape_text(text) if markup else text) + closing)
            entry = self._by_ref.get(ref.upper())
            if entry is None:  # as put() does, without two calls per note
                self._add_entry("", comment, ref.upper())
            else:
                entry[1] = comment
        return [text.replace("\r\n", "\n") for text in safe] if "\r" in joined else safe

    def appended(self, comment: str, text: str) -> str:
        """``comment`` (a user's note) with kaxl's text added after the separator line."""
        p = self._p
        close = comment.rfind(f"</{p}text>")
        if close < 0:
            return comment
        opening = re.compile(r"<%stext(?=[\s/>])%s>" % (re.escape(p), ATTRS)).search(comment)
        body = comment[opening.end(): close] if opening else ""
        if opening is not None and not re.search(r"<%sr(?=[\s/>])" % re.escape(p), body):
            # A plain <t> note: make it a run first, so runs are not mixed with a bare <t>.
            body = re.sub(r"(<%st(?=[\s/>])%s(?:/>|>.*?</%st>))" % (re.escape(p), ATTRS, re.escape(p)),
                          lambda m: f"<{p}r>{m.group(1)}</{p}r>", body, count=1, flags=re.S)
            return comment[: opening.end()] + body + self.run(f"\n{SEPARATOR}\n{text}") + comment[close:]
        return comment[:close] + self.run(f"\n{SEPARATOR}\n{text}") + comment[close:]

    @staticmethod
    def strip_separated(comment: str) -> str:
        """``comment`` without anything from kaxl's separator line on (runs cut or dropped).

        The fallback when a note kaxl appended to was since re-saved (by Excel, say) and no
        longer matches what kaxl wrote: the user's text before the separator is kept.
        """
        marker = "\n" + SEPARATOR
        if marker not in plain_text(comment):
            return comment
        runs = list(re.finditer(r"<(?:[\w.-]+:)?r(?=[\s/>])" + ATTRS + r">.*?</(?:[\w.-]+:)?r>", comment, re.S))
        seen = ""
        for run in runs:
            text = plain_text(run.group())
            if marker in seen + text:
                keep = max(0, (seen + text).index(marker) - len(seen))
                end = runs[-1].end()
                if keep == 0:
                    return comment[: run.start()] + comment[end:]
                t = _T.search(run.group())
                kept = run.group()[: t.start(1)] + escape_text(text[:keep]) + run.group()[t.end(1):] if t else ""
                return comment[: run.start()] + kept + comment[end:]
            seen += text
        return comment

    def put(self, ref: str, comment: str) -> None:
        entry = self._by_ref.get(ref.upper())
        if entry is None:  # the caller names the cell: no need to parse it back out of the element
            self._add_entry("", comment, ref.upper())
        else:
            entry[1] = comment

    def remove(self, ref: str) -> None:
        entry = self._by_ref.pop(ref.upper(), None)
        if entry is not None:
            self._entries[self._entries.index(entry)] = None

    def to_bytes(self) -> bytes:
        pieces = [self._head]  # one join of every piece: the part of a big sheet is megabytes
        for entry in self._entries:
            if entry is not None:
                pieces += entry
        pieces += (self._trailing, self._tail)
        return encode("".join(pieces), self._codec)


def _ref_of(comment: str) -> str:
    return attributes(comment[: comment.find(">") + 1]).get("ref", "").upper()
