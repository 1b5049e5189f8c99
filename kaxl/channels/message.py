"""The channel message: the same content, in the same order, as the recipient's e-mail.

Built from :func:`kaxl.digest.recipients.plan`'s Digests, independent of any vendor: a title,
then blocks (a heading, or one item: a project's line, a section line, a KPI…) made of
segments — plain ledger text (escaped by the vendor), our own emphasis, a tone colour, or an
@-mention of a person. The vendor modules turn segments into their markup; :mod:`split` cuts
between blocks. Order as the e-mail: counts, sections that open the digest, the person's items
by project with the ledger cell, the items' remainder count, the other sections, KPIs, aging,
team overview, escalations, then a note pointing at the full e-mail and summary workbook.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kaxl.digest.recipients import CATEGORY_LABELS, LEVEL_LABELS, Contact, Digest, Item, Section
from kaxl.digest.render import STATUS_LABELS, fmt_date, fmt_kpi, fmt_yuan, headline


@dataclass(frozen=True)
class Person:
    """Someone who can be @-mentioned, with the ids the contacts tab gives for each vendor."""

    name: str
    mobile: str | None = None
    wecom_userid: str | None = None
    dingtalk_userid: str | None = None
    feishu_open_id: str | None = None


@dataclass(frozen=True)
class Seg:
    """A run of a line: ``plain`` (ledger text), ``strong``, ``tone`` (overdue/due/open/good), ``mention``."""

    text: str
    style: str = "plain"
    tone: str | None = None
    person: Person | None = None


Line = tuple[Seg, ...]


@dataclass(frozen=True)
class Block:
    """What splitting never cuts: a heading (kept with the block after it) or one item."""

    lines: tuple[Line, ...]
    heading: bool = False


@dataclass
class ChannelMessage:
    """One destination's message before the vendor's markup and before splitting."""

    title: str  # plain text (the vendor escapes it)
    blocks: list[Block] = field(default_factory=list)
    lead: tuple[Line, ...] = ()  # under the title in every part (the audience's mentions)
    note: tuple[Line, ...] = ()  # the closing note, in the last part


def people(result: Any) -> dict[str, Person]:
    """Contacts by name with their mobile and vendor ids (the optional columns of SPEC §9)."""
    frame = result.ledger.frames.get("contacts")
    if frame is None or frame.empty:
        return {}
    out: dict[str, Person] = {}
    columns = ("mobile", "wecom_userid", "dingtalk_userid", "feishu_open_id")
    values = [frame[c] if c in frame else [None] * len(frame) for c in columns]
    for name, *ids in zip(frame["name"], *values):
        name = _text(name)
        if name and name not in out:
            mobile, wecom, dingtalk, feishu = (_text(v) for v in ids)
            out[name] = Person(name, _mobile(mobile), wecom, dingtalk, feishu)
    return out


class Words:
    """Chinese first, English beside it, or one of them (the digest's language setting)."""

    def __init__(self, language: str) -> None:
        self.zh = language in ("zh", "zh+en")
        self.en = language in ("en", "zh+en")

    def __call__(self, zh: str, en: str) -> str:
        if self.zh and self.en:
            return f"{zh} {en}"
        return zh if self.zh else en

    def pair(self, zh: str, en: str) -> list[str]:
        """Both texts, each on its own line (item messages are long)."""
        return [t for t, on in ((zh, self.zh), (en, self.en)) if on and t]


def build(audience: str, digests: Sequence[Digest], contacts: Sequence[Contact], persons: Mapping[str, Person],
          *, language: str = "zh+en", week: str = "", keyword: str | None = None,
          attachment_name: str | None = None) -> ChannelMessage | None:
    """The message for ``audience`` (management | team:NAME | person:NAME); None when nothing to say."""
    t = Words(language)
    by_name = {d.recipient.name: d for d in digests}
    kind, _, name = audience.partition(":")
    if kind == "person":
        digest = by_name.get(name)
        if digest is None:
            return None
        message = _personal(digest, t, persons)
    elif kind == "team":
        members = [c for c in contacts if c.manager == name]
        director = by_name.get(name)
        theirs = [(c, by_name.get(c.name)) for c in members]
        if director is None and not any(d and _actionable(d) for _, d in theirs):
            return None
        message = _team(name, director, theirs, t, persons, week)
    elif kind == "management":
        chosen = next((d for d in digests if d.recipient.role == "management"), None)
        if chosen is None:
            return None
        message = _personal(chosen, t, persons, mention=False)
    else:
        raise ValueError(f"unknown audience {audience!r}")
    if keyword and keyword not in message.title:
        message.title = f"{keyword} {message.title}"
    workbook_zh = f"及汇总表 {attachment_name}" if attachment_name else ""
    workbook_en = f" and the summary workbook {attachment_name}" if attachment_name else ""
    note = t(f"完整内容见本周邮件{workbook_zh}，数据以台账为准。",
             f"Full details in this week's e-mail{workbook_en}; the ledger is the source of truth.")
    message.note = ((Seg(note, "tone", tone="open"),),)
    return message


def _actionable(digest: Digest) -> bool:
    return any(i.category in ("overdue", "due") for i in digest.items)


def _title(digest: Digest, t: Words) -> str:
    zh, en = headline(digest)
    if t.zh:
        return f"【KA周报】{digest.week} {digest.recipient.name}：{zh}" + (f" / {en}" if t.en else "")
    return f"[KA weekly] {digest.week} {digest.recipient.name}: {en}"


def _mention(person: Person | None, name: str) -> Seg:
    return Seg(name, "mention", person=person or Person(name))


def _personal(digest: Digest, t: Words, persons: Mapping[str, Person], *, mention: bool = True) -> ChannelMessage:
    name = digest.recipient.name
    message = ChannelMessage(_title(digest, t))
    if mention:
        message.lead = ((_mention(persons.get(name), name),),)
    blocks = message.blocks
    blocks += _sections(digest.sections_first, t)
    if digest.groups:
        blocks.append(_heading(t("我的待办（按项目）", "Your actions, by project")))
        for group in digest.groups:
            blocks.append(_project_block(group.project_id, group.customer, group.items, t))
    if digest.truncated:
        blocks.append(Block(((Seg(t(f"另有 {digest.truncated} 项未列出，请查看台账或汇总表。",
                                     f"{digest.truncated} more not listed: see the ledger or the summary workbook."),
                                  tone="open"),),)))
    blocks += _sections(digest.sections_after, t)
    blocks += _kpis(digest, t)
    blocks += _aging(digest, t)
    blocks += _team_rows(digest, t)
    blocks += _escalations(digest, t)
    return message


def _team(name: str, director: Digest | None, members: Sequence[tuple[Contact, Digest | None]], t: Words,
          persons: Mapping[str, Person], week: str) -> ChannelMessage:
    if director is not None:
        message = ChannelMessage(_title(director, t))
    else:
        message = ChannelMessage(f"【KA周报】{week} {name}团队" if t.zh else f"[KA weekly] {week} team {name}")
    blocks = message.blocks
    if director is not None:
        blocks += _sections(director.sections_first, t)
        blocks += _team_rows(director, t)
    for contact, digest in members:
        if digest is None or not _actionable(digest):
            continue
        blocks.append(Block(((Seg(t("本周待办", "This week"), "strong"), Seg(" "),
                              _mention(persons.get(contact.name), contact.name)),), heading=True))
        by_project: dict[str, list[Item]] = {}
        customers: dict[str, str] = {}
        for item in digest.items:
            if item.category in ("overdue", "due"):
                by_project.setdefault(item.project_id, []).append(item)
                customers[item.project_id] = item.customer
        for pid, items in by_project.items():
            blocks.append(_project_block(pid, customers[pid], items, t))
    if director is not None:
        blocks += _sections(director.sections_after, t)
        blocks += _escalations(director, t)
    return message


def _heading(text: str) -> Block:
    return Block(((Seg(text, "strong"),),), heading=True)


def _project_block(pid: str, customer: str, items: Sequence[Item], t: Words) -> Block:
    lines: list[Line] = [(Seg(f"[{pid}] ", "strong"), Seg(customer))]
    for item in items:
        head = [Seg(t(*CATEGORY_LABELS[item.category]), "tone", tone=item.category), Seg(f" {item.rule}")]
        if item.due_date:
            head.append(Seg(f" · {t('截止', 'due')} {fmt_date(item.due_date)}"))
        if item.escalation_level:
            head.append(Seg(f" · {t(*LEVEL_LABELS[item.escalation_level])}"))
        if item.cell:
            head.append(Seg(f" · {item.cell}"))
        lines.append(tuple(head))
        lines += [(Seg(text),) for text in t.pair(item.message_zh, item.message_en)]
    return Block(tuple(lines))


def _sections(sections: Sequence[Section], t: Words) -> list[Block]:
    blocks: list[Block] = []
    for section in sections:
        blocks.append(_heading(t(section.title_zh, section.title_en)))
        for line in section.lines:
            head: list[Seg] = []
            if line.project_id:
                head.append(Seg(f"[{line.project_id}] ", "strong"))
            if line.due_date:
                head.append(Seg(f"{t('截止', 'due')} {fmt_date(line.due_date)} ", "tone", tone=line.tone))
            if line.cell:
                head.append(Seg(f"({line.cell})"))
            lines: list[Line] = [tuple(head)] if head else []
            lines += [(Seg(text),) for text in t.pair(line.text_zh, line.text_en)]
            blocks.append(Block(tuple(lines)))
    return blocks


def _kpis(digest: Digest, t: Words) -> list[Block]:
    if not digest.kpis:
        return []
    blocks = [_heading(t("经营指标对标", "KPIs against target"))]
    for k in digest.kpis:
        sign = "≥" if k.higher_is_better else "≤"
        tone = {"green": "good", "amber": "due", "red": "overdue"}.get(k.status or "", "open")
        blocks.append(Block(((Seg(f"{t(k.label_zh, k.label_en)}: {fmt_kpi(k.value, k.unit)} "
                                  f"({t('目标', 'target')} {sign} {fmt_kpi(k.target, k.unit)}) "),
                              Seg(t(*STATUS_LABELS[k.status]), "tone", tone=tone)),)))
    return blocks


def _aging(digest: Digest, t: Words) -> list[Block]:
    if not digest.aging:
        return []
    blocks = [_heading(t("应收账龄（元）", "Receivables aging (yuan)"))]
    blocks += [Block(((Seg(f"{t(b.label_zh, b.label_en)}: {fmt_yuan(b.value)}"),),)) for b in digest.aging]
    return blocks


def _team_rows(digest: Digest, t: Words) -> list[Block]:
    if not digest.team:
        return []
    blocks = [_heading(t("团队概览", "Team overview"))]
    for r in digest.team:
        blocks.append(Block(((Seg(f"{r.name}: "), Seg(f"{t('逾期', 'overdue')} {r.overdue}", "tone",
                                                       tone="overdue" if r.overdue else "open"),
                              Seg(f", {t('本周到期', 'due this week')} {r.due}, {t('待处理', 'to fix')} {r.open}, "
                                  f"{t('逾期应收', 'overdue ¥')} {fmt_yuan(r.overdue_amount)}"),),)))
    return blocks


def _escalations(digest: Digest, t: Words) -> list[Block]:
    if not digest.escalations:
        return []
    blocks = [_heading(t("逾期升级", "Escalated receivables"))]
    for e in digest.escalations:
        blocks.append(Block(((Seg(f"L{e.escalation_level} ", "tone", tone="overdue"), Seg(f"[{e.project_id}] ", "strong"),
                              Seg(f"{e.customer} — {t('销售经理', 'AM')} {e.account_manager or '—'}, {e.days} "
                                  f"{t('天', 'days')}, {fmt_yuan(e.amount)}" + (f" · {e.cell}" if e.cell else ""))),)))
    return blocks


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a mobile typed as a number: 13800001111.0
    text = str(value).strip()
    return text or None


def _mobile(value: str | None) -> str | None:
    """Digits of a mobile number (138-0000-1111, +86 138…, a number cell) or None."""
    if not value:
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits or None
