"""A digest → subject, HTML part and plain-text part.

The HTML has to survive Outlook desktop (Word's renderer), Foxmail and web mail: a 600-px
table layout, every style inlined (css_inline) because many clients drop ``<style>``, bars
drawn as table cells with widths instead of images (no blocked-image placeholder, no external
resource), and every ledger string autoescaped — a customer called ``<script>`` stays text.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
import jinja2
from markupsafe import Markup, escape

from kaxl.digest.recipients import CATEGORY_LABELS, LEVEL_LABELS, Digest
from kaxl.reports.display import number, percent

TEMPLATES = Path(__file__).resolve().parent.parent / "reports" / "templates"
STATUS_COLORS = {"green": "#2e7d32", "amber": "#e0a100", "red": "#c62828", None: "#9e9e9e"}
STATUS_LABELS = {"green": ("达标", "on target"), "amber": ("接近", "near"), "red": ("未达标", "off target"),
                 None: ("暂无数据", "no data")}
CATEGORY_COLORS = {"overdue": "#c62828", "due": "#e0a100", "open": "#607d8b"}
TONE_COLORS = {**CATEGORY_COLORS, "good": "#2e7d32"}


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    images: tuple[tuple[str, bytes], ...] = ()  # (Content-ID, PNG) the HTML shows as cid:


def headline(digest: Digest, language: str = "zh+en") -> tuple[str, str]:
    """The counts the subject line and the first paragraph lead with (zh, en)."""
    role = digest.recipient.role
    if role == "sales_director":
        overdue, due = digest.team_overdue, digest.team_due
        esc = len(digest.escalations)
        return (f"团队{overdue}项逾期，{due}项本周到期，{esc}项升级",
                f"team: {overdue} overdue, {due} due this week, {esc} escalated")
    if role == "management":
        esc, off = len(digest.escalations), digest.kpis_off_target
        return (f"{esc}项升级至管理层，{off}项指标未达标", f"{esc} escalated to management, {off} KPIs off target")
    return (f"{digest.overdue}项逾期，{digest.due}项本周到期",
            f"{digest.overdue} overdue, {digest.due} due this week")


def subject(digest: Digest, language: str = "zh+en") -> str:
    """"【KA周报】2026-W47 张伟：3项逾期，2项本周到期" (English only when the language is en)."""
    zh, en = headline(digest, language)
    name = digest.recipient.name
    if language == "en":
        return f"[KA weekly] {digest.week} {name}: {en}"
    return f"【KA周报】{digest.week} {name}：{zh}"


@functools.cache
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    loader = jinja2.FileSystemLoader(str(TEMPLATES))
    # HTML: autoescape ON, always (ledger text is data, SPEC §6). Text: nothing to escape.
    html = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    text = jinja2.Environment(loader=loader, autoescape=False, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    for env in (html, text):
        env.filters.update(yuan=fmt_yuan, pct=fmt_pct, kpi=fmt_kpi, date=fmt_date)
    return html, text


_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def render(digest: Digest, *, language: str = "zh+en", attachment_name: str | None = None,
           generated_at: dt.datetime | None = None) -> Rendered:
    """Subject, inlined HTML and plain text of one digest."""
    context = _context(digest, language, attachment_name, generated_at)
    context["subject"] = subject(digest, language)
    images: tuple[tuple[str, bytes], ...] = ()
    context["chart_cid"] = None
    if digest.collection:
        from kaxl.digest.chart import CID, collection_png

        png = collection_png(digest.collection, language=language)
        if png:
            images, context["chart_cid"] = ((CID, png),), CID
    html_env, text_env = _environments()
    html = _INLINER.inline(html_env.get_template("digest.html.j2").render(context))
    text = text_env.get_template("digest.txt.j2").render(context)
    return Rendered(context["subject"], html, text, images)


def _context(digest: Digest, language: str, attachment_name: str | None,
             generated_at: dt.datetime | None) -> dict[str, Any]:
    zh_on, en_on = language in ("zh", "zh+en"), language in ("en", "zh+en")

    def t(zh: str, en: str) -> str:
        """Chinese first, English beside it (or just one of them)."""
        if zh_on and en_on:
            return f"{zh} {en}"
        return zh if zh_on else en

    def th(zh: str, en: str) -> Markup:
        """A table header: the two languages stacked, so narrow columns keep the 600-px width."""
        if zh_on and en_on:
            return escape(zh) + Markup("<br>") + escape(en)
        return escape(zh if zh_on else en)

    head_zh, head_en = headline(digest, language)
    return {
        "d": digest, "t": t, "th": th, "zh_on": zh_on, "en_on": en_on, "headline_zh": head_zh, "headline_en": head_en,
        "category_labels": CATEGORY_LABELS, "category_colors": CATEGORY_COLORS, "tone_colors": TONE_COLORS, "level_labels": LEVEL_LABELS,
        "status_colors": STATUS_COLORS, "status_labels": STATUS_LABELS, "attachment_name": attachment_name,
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M") if generated_at else None,
        "max_overdue_amount": max((r.overdue_amount or 0.0 for r in digest.team), default=0.0),
    }


def fmt_yuan(amount: float | None) -> str:
    if amount is None:
        return "—"
    rounded = round(float(amount), 2)
    return f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.2f}"


def fmt_pct(value: float | None) -> str:
    return percent(value)


def fmt_kpi(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return fmt_pct(value)
    if unit == "yuan":
        return f"¥{fmt_yuan(value)}"
    return number(value)


def fmt_date(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"
