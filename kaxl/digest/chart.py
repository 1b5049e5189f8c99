"""The small chart in management's digest: monthly collection, due vs received, as a PNG.

Why a picture and not only HTML bars: three series over six months do not read as bars of
table cells, and a PNG embedded in the message itself (``cid:``, multipart/related) is shown by
Outlook, Foxmail and web mail without the "download pictures" prompt that remote images get.

The labels are Chinese, so the chart needs a CJK font: the first of the fonts Windows, macOS
and Linux ship (Microsoft YaHei, PingFang, Noto Sans CJK …) that matplotlib can find. With
none, there is no chart (a chart of tofu boxes is worse than none); the HTML still carries the
numbers. matplotlib is imported here only, so the Excel buttons never pay for it.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Sequence

log = logging.getLogger(__name__)

CID = "kaxl-collection-chart"
CJK_FONTS = ("Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Source Han Sans SC",
             "Noto Sans SC", "WenQuanYi Micro Hei", "SimHei", "Noto Sans CJK JP")
COLORS = ("#9fb3c8", "#1f4e79", "#2e7d32")  # due, received, on time: the summary workbook's colours
WIDTH_PX, HEIGHT_PX, SCALE = 552, 230, 2  # drawn at 2x so it stays sharp on high-DPI screens


@functools.cache
def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def collection_png(rows: Sequence[Sequence[object]], *, language: str = "zh+en") -> bytes | None:
    """``rows`` of (``"2026-11"``, due, received, on time) in 万元 → PNG bytes, or None.

    None when there is nothing to draw (all zero) or no CJK font; the same rows always give the
    same bytes (no timestamps in the PNG), so previews and tests are stable.
    """
    if not rows or not any(float(v or 0) for row in rows for v in row[1:4]):
        return None
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a declared dependency
        log.warning("matplotlib is not installed: the digest is sent without its chart")
        return None
    font = cjk_font()
    if font is None and language != "en":
        log.warning("no CJK font found (%s): the digest is sent without its chart", ", ".join(CJK_FONTS))
        return None

    def label(zh: str, en: str) -> str:
        return {"zh": zh, "en": en}.get(language, f"{zh} {en}")

    months = [str(row[0])[2:] for row in rows]  # "26-11": six labels fit without rotation
    series = [[float(row[i] or 0) for row in rows] for i in (1, 2, 3)]
    names = [label("应收", "Due"), label("实收", "Received"), label("按期", "On time")]

    figure = Figure(figsize=(WIDTH_PX / 100, HEIGHT_PX / 100), dpi=100 * SCALE)
    axes = figure.add_subplot()
    width = 0.26
    for offset, values, name, color in zip((-width, 0, width), series, names, COLORS):
        axes.bar([i + offset for i in range(len(months))], values, width, label=name, color=color)
    axes.set_xticks(range(len(months)), months)
    axes.set_ylabel(label("万元", "10k yuan"))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#e4e7eb", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.legend(loc="upper left", ncols=3, frameon=False, fontsize=8)
    axes.tick_params(labelsize=8)
    axes.margins(y=0.18)
    for text in [*axes.get_xticklabels(), *axes.get_yticklabels(), axes.yaxis.label, *axes.get_legend().get_texts()]:
        if font:
            text.set_fontfamily(font)
    figure.tight_layout(pad=0.4)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
