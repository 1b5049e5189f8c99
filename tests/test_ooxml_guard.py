"""The whole-part entity guard of kaxl.ooxml: its single-byte "!" shortcut never lets a
DOCTYPE or ENTITY through, and never refuses a part that merely holds a "!"."""

from __future__ import annotations

import pytest

from kaxl.errors import LedgerReadError
from kaxl.ooxml.guard import check_part

SHEET = b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>%s</t></is></c>' \
        b"</row></sheetData></worksheet>"


@pytest.mark.parametrize("text", [b"plain", b"Hurry!", b"'Sheet 1'!A1", b"<!-- a comment -->" * 3])
def test_parts_without_a_declaration_pass(text):
    check_part("xl/worksheets/sheet1.xml", SHEET % text)


@pytest.mark.parametrize("declaration", [b"<!DOCTYPE x>", b'<!ENTITY a "b">'])
@pytest.mark.parametrize("padding", [b"", b"x" * 200_000, b"Hurry! " * 1000])
def test_a_declaration_anywhere_is_refused(declaration, padding):
    with pytest.raises(LedgerReadError, match="DOCTYPE/ENTITY"):
        check_part("xl/worksheets/sheet1.xml", SHEET % padding + declaration, "ledger.xlsx")
