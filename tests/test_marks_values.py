"""The tabs' cell values, converted a column at a time per dtype, are the plain Python values
each cell holds: dates (floored to the day) as datetime.date, gaps as None, numbers as int/float."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kaxl.reports.marks import frame_rows

D = dt.date


def test_each_dtype_converts_to_plain_values():
    frame = pd.DataFrame({
        "ints": pd.array([1, None, 3], dtype="Int64"),
        "flags": pd.array([True, None, False], dtype="boolean"),
        "stamps": pd.to_datetime(["1969-12-31 23:00", None, "2026-01-01 10:00"]),
        "objects": [D(999, 1, 2), None, dt.datetime(2026, 1, 1, 5)],
        "texts": ["2026-11-16", None, "文本"],
        "floats": [1.5, np.nan, 2.0],
        "zoned": pd.Series(pd.to_datetime(["2026-01-01 03:00", None, "2026-01-01 23:00"])).dt.tz_localize("Asia/Shanghai"),
    })
    header, rows = frame_rows(frame, [(c, c.upper()) for c in frame.columns] + [("absent", "ABSENT")])
    assert header == [c.upper() for c in frame.columns]
    assert [list(row) for row in rows] == [
        [1, True, D(1969, 12, 31), D(999, 1, 2), D(2026, 11, 16), 1.5, D(2026, 1, 1)],
        [None, None, None, None, None, None, None],
        [3, False, D(2026, 1, 1), D(2026, 1, 1), "文本", 2.0, D(2026, 1, 1)],
    ]
    assert [type(v) for v in rows[0]] == [int, bool, D, D, D, float, D]
