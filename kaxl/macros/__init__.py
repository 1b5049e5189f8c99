"""Entry points behind the Excel buttons (xlwings ``RunPython``).

The workbook's VBA calls, for example::

    RunPython "import kaxl.macros; kaxl.macros.validate()"

so this module must import fast (the user is waiting on a button): nothing heavy is imported
here; pandas, pandera and xlwings are imported inside the functions that need them. The
functions are thin: they move data between Excel and the same core the CLI uses.
"""

from __future__ import annotations

from typing import Any


def validate(book: Any = None) -> None:
    """校验 Validate: check the open workbook and mark every finding inside it."""
    from kaxl.macros.excel import run

    run("validate", book)


def refresh(book: Any = None) -> None:
    """刷新评分 Refresh scores: recompute the Scores and Alerts tabs (no cell marks)."""
    from kaxl.macros.excel import run

    run("refresh", book)


def summary(book: Any = None) -> None:
    """生成汇总 Build summary: write the managers' summary workbook beside the ledger and open it."""
    from kaxl.macros.excel import run

    run("summary", book)
