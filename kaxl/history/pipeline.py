"""Pipeline movement between the last two snapshots: the waterfall and the stage matrix.

The waterfall walks from last week's open pipeline (Σ estimated_amount of active projects) to
this week's, project by project, so the parts add up to the end *exactly*: amounts are summed
in whole fen (分, integers) and only turned back into yuan at the end.

- new: active now, not active a week ago (a new lead, or one taken off hold) — its amount now;
- won / lost: active a week ago, status won / lost now — last week's amount leaves;
- paused/removed: active a week ago, now on hold, or gone from the ledger — last week's amount;
- expanded / contracted: active in both, estimated_amount went up / down — the difference.

*Pushed* (expected_close 预计签约日期 moved later) changes the date, not the amount, so it is
not a step of the waterfall; it is reported beside it: the projects, their amount, and how many
times each has been pushed over all snapshots (a deal that slips every week is the one to ask
about).

The stage matrix counts the projects of both snapshots by stage a week ago × stage now, and
calls each move forward, back or idle in the SOP's stage order.

Pure functions of :class:`~kaxl.history.frames.History`, vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kaxl.contract.columns import STAGE_ORDER, STAGES
from kaxl.history.frames import History

STEPS: tuple[tuple[str, str, str, int], ...] = (  # key, zh, en, sign in the walk
    ("new", "新增", "New", 1),
    ("won", "赢单", "Won", -1),
    ("lost", "输单", "Lost", -1),
    ("removed", "暂停/移除", "On hold / removed", -1),
    ("expanded", "金额增加", "Expanded", 1),
    ("contracted", "金额减少", "Contracted", -1),
)
STAGE_LABELS = {c.key: (c.zh, c.key.capitalize()) for c in STAGES}


@dataclass(frozen=True)
class Waterfall:
    """Last week's open pipeline → this week's. ``parts[key]`` is the (positive) amount of each
    step; start + Σ sign × part = end, exactly (all in yuan with whole fen)."""

    as_of: pd.Timestamp | None
    previous: pd.Timestamp | None
    start: float
    end: float
    parts: dict[str, float]
    counts: dict[str, int]
    projects: pd.DataFrame  # project_id, customer, account_manager, step, amount_before, amount_now, change
    pushed: pd.DataFrame  # project_id, customer, account_manager, close_before, close_now, amount_now, times_pushed

    def signed(self, key: str) -> float:
        sign = {k: s for k, _, _, s in STEPS}[key]
        return sign * self.parts[key]


@dataclass(frozen=True)
class StageMatrix:
    """Projects by stage a week ago (rows) × stage now (columns), in SOP order."""

    counts: pd.DataFrame  # index: stage before, columns: stage now
    moves: pd.DataFrame  # project_id, customer, stage_before, stage_now, move (forward | back | idle)

    def total(self, move: str) -> int:
        return int(self.moves["move"].eq(move).sum())


def _fen(amount: pd.Series) -> pd.Series:
    """Yuan → whole fen as integers (blank amounts count as 0): sums of these are exact."""
    values = pd.to_numeric(amount, errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    return pd.Series(np.round(values * 100).astype("int64"), index=amount.index)


def _snapshot(projects: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    frame = projects[projects["as_of"].eq(day)].drop_duplicates("project_id", keep="last")
    return frame.set_index("project_id")


def waterfall(history: History) -> Waterfall:
    """The waterfall between the last two snapshots (empty parts when there is no earlier one)."""
    dates = history.dates
    zero = {key: 0.0 for key, *_ in STEPS}
    nothing = {key: 0 for key, *_ in STEPS}
    columns = ["project_id", "customer", "account_manager", "step", "amount_before", "amount_now", "change"]
    push_columns = ["project_id", "customer", "account_manager", "close_before", "close_now", "amount_now",
                    "times_pushed"]
    if len(dates) < 2:
        end = _fen(_snapshot(history.projects, dates[-1]).query("status == 'active'")["estimated_amount"]).sum() \
            if dates else 0
        return Waterfall(dates[-1] if dates else None, None, end / 100, end / 100, zero, nothing,
                         pd.DataFrame(columns=columns), pd.DataFrame(columns=push_columns))
    now, before = _snapshot(history.projects, dates[-1]), _snapshot(history.projects, dates[-2])
    was_open = before.index[before["status"].eq("active")]
    is_open = now.index[now["status"].eq("active")]
    ids = was_open.union(is_open)
    fen_before = _fen(before["estimated_amount"]).reindex(ids).where(lambda s: s.index.isin(was_open), 0).fillna(0)
    fen_now = _fen(now["estimated_amount"]).reindex(ids).where(lambda s: s.index.isin(is_open), 0).fillna(0)
    fen_before, fen_now = fen_before.astype("int64"), fen_now.astype("int64")
    status_now = now["status"].reindex(ids)
    in_before, in_now = ids.isin(was_open), ids.isin(is_open)
    step = np.select(
        [~in_before & in_now, in_before & ~in_now & status_now.eq("won").to_numpy(),
         in_before & ~in_now & status_now.eq("lost").to_numpy(), in_before & ~in_now,
         (fen_now > fen_before).to_numpy(), (fen_now < fen_before).to_numpy()],
        ["new", "won", "lost", "removed", "expanded", "contracted"], default="")
    change = (fen_now - fen_before).to_numpy()
    size = np.where(np.isin(step, ["new"]), fen_now.to_numpy(),
                    np.where(np.isin(step, ["won", "lost", "removed"]), fen_before.to_numpy(), np.abs(change)))
    by_step = pd.Series(size).groupby(step).sum()
    counts = pd.Series(step).value_counts()
    start_fen, end_fen = int(fen_before.sum()), int(fen_now.sum())
    parts_fen = {key: int(by_step.get(key, 0)) for key, *_ in STEPS}
    assert start_fen + sum(sign * parts_fen[key] for key, _, _, sign in STEPS) == end_fen  # whole fen: exact
    people = now[["customer", "account_manager"]].combine_first(before[["customer", "account_manager"]]).reindex(ids)
    moved = pd.DataFrame({
        "project_id": ids, "customer": people["customer"].to_numpy(), "account_manager": people["account_manager"].to_numpy(),
        "step": step, "amount_before": fen_before.to_numpy() / 100, "amount_now": fen_now.to_numpy() / 100,
        "change": change / 100})
    moved = moved[moved["step"].ne("")].assign(_abs=lambda f: -f["change"].abs())
    moved = moved.sort_values(["step", "_abs", "project_id"], kind="stable").drop(columns="_abs").reset_index(drop=True)
    return Waterfall(dates[-1], dates[-2], start_fen / 100, end_fen / 100,
                     {key: value / 100 for key, value in parts_fen.items()},
                     {key: int(counts.get(key, 0)) for key, *_ in STEPS}, moved, _pushed(history, now, before))


def times_pushed(history: History) -> pd.Series:
    """project_id → how many times its expected_close moved later between consecutive snapshots."""
    projects = history.projects[["as_of", "project_id", "expected_close"]].drop_duplicates(["as_of", "project_id"],
                                                                                           keep="last")
    projects = projects.assign(close=pd.to_datetime(projects["expected_close"], errors="coerce"))
    position = {d: i for i, d in enumerate(history.dates)}
    projects = projects.assign(pos=projects["as_of"].map(position)).sort_values(["project_id", "pos"])
    same = projects["project_id"].eq(projects["project_id"].shift())
    consecutive = projects["pos"].diff().eq(1)
    later = projects["close"].gt(projects["close"].shift())
    pushed = same & consecutive & later
    return pushed.groupby(projects["project_id"]).sum().astype("int64")


def _pushed(history: History, now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Open projects whose expected_close moved later this week, with their push count so far."""
    both = now.index.intersection(before.index)
    close_now = pd.to_datetime(now["expected_close"].reindex(both), errors="coerce")
    close_before = pd.to_datetime(before["expected_close"].reindex(both), errors="coerce")
    active = now["status"].reindex(both).eq("active")
    ids = both[(close_now > close_before) & active]
    counts = times_pushed(history)
    out = pd.DataFrame({
        "project_id": ids, "customer": now["customer"].reindex(ids).to_numpy(),
        "account_manager": now["account_manager"].reindex(ids).to_numpy(),
        "close_before": close_before.reindex(ids).to_numpy(), "close_now": close_now.reindex(ids).to_numpy(),
        "amount_now": _fen(now["estimated_amount"].reindex(ids)).to_numpy() / 100,
        "times_pushed": counts.reindex(ids).fillna(0).astype("int64").to_numpy()})
    return out.sort_values(["times_pushed", "amount_now", "project_id"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)


def stage_matrix(history: History) -> StageMatrix:
    """Stage a week ago × stage now over the projects of both snapshots."""
    keys = [c.key for c in STAGES]
    dates = history.dates
    empty = pd.DataFrame(0, index=pd.Index(keys, name="before"), columns=pd.Index(keys, name="now"), dtype="int64")
    move_columns = ["project_id", "customer", "stage_before", "stage_now", "move"]
    if len(dates) < 2:
        return StageMatrix(empty, pd.DataFrame(columns=move_columns))
    now, before = _snapshot(history.projects, dates[-1]), _snapshot(history.projects, dates[-2])
    both = now.index.intersection(before.index)
    stage_before, stage_now = before["stage"].reindex(both), now["stage"].reindex(both)
    known = stage_before.isin(keys) & stage_now.isin(keys)
    both, stage_before, stage_now = both[known.to_numpy()], stage_before[known], stage_now[known]
    rank_before, rank_now = stage_before.map(STAGE_ORDER), stage_now.map(STAGE_ORDER)
    move = np.select([rank_now > rank_before, rank_now < rank_before], ["forward", "back"], default="idle")
    moves = pd.DataFrame({"project_id": both, "customer": now["customer"].reindex(both).to_numpy(),
                          "stage_before": stage_before.to_numpy(), "stage_now": stage_now.to_numpy(), "move": move})
    counts = pd.crosstab(moves["stage_before"], moves["stage_now"]).reindex(index=keys, columns=keys, fill_value=0)
    counts.index.name, counts.columns.name = "before", "now"
    order = {"forward": 0, "back": 1, "idle": 2}
    moves = moves.assign(_o=moves["move"].map(order)).sort_values(["_o", "project_id"], kind="stable")
    return StageMatrix(counts.astype("int64"), moves.drop(columns="_o").reset_index(drop=True))
