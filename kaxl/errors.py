"""Errors that end a run with exit code 2 and a bilingual message (never a traceback)."""

from __future__ import annotations


class KaxlError(Exception):
    """A problem the user must fix before kaxl can continue (exit code 2).

    Carries both languages so every front end (CLI, Excel message box, e-mail log) can show
    the message the user reads best; ``file`` names the workbook involved, if any.
    """

    def __init__(self, message_zh: str, message_en: str, *, file: str | None = None) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        self.file = file
        super().__init__(f"{message_zh} / {message_en}")

    def bilingual(self) -> str:
        """Chinese first, English beside it, as everything the users see."""
        return f"{self.message_zh}\n{self.message_en}"


class LedgerReadError(KaxlError):
    """A workbook that cannot be read at all: not a zip, encrypted, a bomb, hostile XML..."""
