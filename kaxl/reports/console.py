"""The human output of `kaxl check`: findings grouped by owner and severity, one language.

Ops staff read this in a Windows console or paste it into a chat, so it is plain text:
a summary line, then per owner the errors, warnings and notes with the cell to open.
"""

from __future__ import annotations

from collections import defaultdict

from kaxl.contract.findings import SEVERITY_ORDER, SEVERITY_ZH, Finding
from kaxl.sop.owner_roles import contact_roles

SEVERITY_EN = {"error": "ERROR", "warning": "WARN", "info": "INFO"}
ROLE_ZH = {"AM": "销售经理", "PS": "售前", "CO": "商务", "DM": "交付经理", "CS": "客户成功",
           "sales_director": "销售总监", "management": "管理层"}
ROLE_EN = {"sales_director": "sales director"}  # the owner roles print as their keys: (AM), (CS)


def summary_line(counts: dict[str, int], lang: str) -> str:
    if lang == "en":
        return f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} notes"
    return f"{counts['error']} 个错误，{counts['warning']} 个警告，{counts['info']} 条提示"


def render(result, lang: str = "zh", limit: int | None = None) -> str:
    """Findings grouped by owner, then by severity; upcoming nodes after them."""
    counts = result.counts
    lines: list[str] = []
    files = ", ".join(result.ledger.files)
    if lang == "en":
        lines.append(f"kaxl check — {files} — as of {result.as_of.isoformat()}")
    else:
        lines.append(f"kaxl 校验 — {files} — 截至 {result.as_of.isoformat()}")
    lines.append(summary_line(counts, lang))
    groups: dict[str, list[Finding]] = defaultdict(list)
    roles = contact_roles(result.ledger)
    for finding in result.findings:
        groups[_owner_label(finding, roles, lang)].append(finding)
    shown = 0
    for owner in sorted(groups, key=lambda o: (min(SEVERITY_ORDER[f.severity] for f in groups[o]), o)):
        items = sorted(groups[owner], key=Finding.sort_key)
        errors = sum(f.severity == "error" for f in items)
        lines.append("")
        head = f"■ {owner}: {len(items)} findings ({errors} errors)" if lang == "en" else \
            f"■ {owner}：{len(items)} 项（{errors} 个错误）"
        lines.append(head)
        for finding in items:
            if limit is not None and shown >= limit:
                break
            shown += 1
            sev = SEVERITY_EN[finding.severity] if lang == "en" else SEVERITY_ZH[finding.severity]
            message = finding.message_en if lang == "en" else finding.message_zh
            where = finding.cell or finding.sheet or ""
            project = f" [{finding.project_id}]" if finding.project_id else ""
            lines.append(f"  {sev:<5} {finding.rule}  {where}{project}")
            lines.append(f"        {message}")
    if limit is not None and shown < len(result.findings):
        more = len(result.findings) - shown
        lines.append("")
        lines.append(f"… {more} more (use --json or --limit 0 for all)" if lang == "en"
                     else f"… 还有 {more} 项（用 --json 或 --limit 0 查看全部）")
    upcoming = result.alerts[result.alerts["kind"] == "upcoming"] if not result.alerts.empty else result.alerts
    if len(upcoming):
        lines.append("")
        lines.append(f"Upcoming nodes: {len(upcoming)}" if lang == "en" else f"即将到期的节点：{len(upcoming)} 个")
        for row in upcoming.head(limit or len(upcoming)).itertuples(index=False):
            message = row.message_en if lang == "en" else row.message_zh
            lines.append(f"  {row.due_date}  {row.rule}  [{row.project_id}] {row.owner or ''}  {message}")
    return "\n".join(lines) + "\n"


def _owner_label(finding: Finding, roles: dict[str, str], lang: str) -> str:
    """杜军（客户成功）: the owner with their own role in Contacts (a CS owning an issue is not
    labelled 销售经理 because ISS-001 is an AM rule), else the rule's owner role."""
    role = (roles.get(finding.owner) if finding.owner else None) or finding.owner_role or ""
    if lang == "en":
        label = ROLE_EN.get(role, role)
        return f"{finding.owner or 'unassigned'} ({label})" if role else (finding.owner or "unassigned")
    return f"{finding.owner or '未指定'}（{ROLE_ZH.get(role, role)}）" if role else (finding.owner or "未指定")
