"""Every threshold of the SOP, with its default, read from the ledger's `参数 Settings` tab.

SPEC §1: all numbers are defaults that live in the Settings tab and can be changed there
without touching code. The definitions below are the single list: the template pre-fills
the tab from them, the Guide documents them, and :func:`read_settings` parses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaxl.contract.findings import Finding, make, quote
from kaxl.reading.normalize import UNREADABLE, clean_text, norm_int, norm_number, norm_ratio


@dataclass(frozen=True)
class SettingDef:
    key: str
    default: Any
    kind: str  # "int" | "number" | "ratio" | "ints" | "weights" | "tiers" | "choice"
    zh: str
    en: str
    choices: tuple[str, ...] = ()


SETTINGS: tuple[SettingDef, ...] = (
    SettingDef("initiation_form_days", 3, "int", "立项表须在线索后 N 个工作日内完成", "initiation form within N working days of the lead"),
    SettingDef("price_approval_days", 5, "int", "价格审批须在投标前 ≥N 个工作日", "price approval ≥ N working days before the bid"),
    SettingDef("sealing_days", 2, "int", "封标须在投标前 ≥N 个工作日", "final review and sealing ≥ N working days before the bid"),
    SettingDef("review_days", 5, "int", "立项评审须在立项表后 N 个工作日内", "initiation review within N working days of the form"),
    SettingDef("handover_days", 5, "int", "签约后 N 个工作日内完成交接单", "handover sheet within N working days of signing"),
    SettingDef("archive_days", 3, "int", "签约后 N 个工作日内归档", "archive within N working days of signing"),
    SettingDef("min_research_rounds", 2, "int", "方案阶段至少 N 轮需求调研", "at least N rounds of requirements research"),
    SettingDef("receivable_warning_days", 7, "int", "回款到期前 N 天预警（自然日）", "warn N calendar days before a receivable is due"),
    SettingDef("stakeholder_contact_days", 30, "int", "关键人超过 N 天未接触则预警", "warn when a key person is not contacted for N days"),
    SettingDef("renewal_days", 90, "int", "合同到期前 N 天启动续约", "start renewal N days before the contract ends"),
    SettingDef("escalation_days", (1, 31, 61, 91), "ints", "逾期升级阶梯起点（天）：L1,L2,L3,L4", "overdue escalation ladder starts (days): L1,L2,L3,L4"),
    SettingDef("target_win_rate", 0.35, "ratio", "目标：成单转化率", "target: win conversion rate"),
    SettingDef("target_on_time_collection", 0.90, "ratio", "目标：按期回款率（按金额）", "target: on-time collection rate (by amount)"),
    SettingDef("target_node_completion", 0.90, "ratio", "目标：节点按时完成率", "target: nodes completed on time"),
    SettingDef("target_cycle_reduction", 0.20, "ratio", "目标：销售周期比基线缩短", "target: sales cycle shorter than the baseline by"),
    SettingDef("baseline_cycle_days", 180, "number", "销售周期基线（天）", "baseline sales cycle (days)"),
    SettingDef("amber_margin", 0.10, "ratio", "低于目标不超过此比例为黄灯，否则红灯", "within this share below target is amber, beyond is red"),
    SettingDef("grade_a", 75, "number", "资质评分 ≥ 此值为 A 级", "qualification score ≥ this is grade A"),
    SettingDef("grade_b", 50, "number", "资质评分 ≥ 此值为 B 级", "qualification score ≥ this is grade B"),
    SettingDef("weight_budget", 25, "number", "资质评分权重：预算", "qualification weight: budget"),
    SettingDef("weight_authority", 20, "number", "资质评分权重：决策权", "qualification weight: authority"),
    SettingDef("weight_need", 20, "number", "资质评分权重：需求", "qualification weight: need"),
    SettingDef("weight_timeline", 15, "number", "资质评分权重：时间", "qualification weight: timeline"),
    SettingDef("weight_strategy", 20, "number", "资质评分权重：战略匹配", "qualification weight: strategy fit"),
    SettingDef("discount_tiers", {"A": 0.20, "B": 0.15, "C": 0.10}, "tiers", "各级客户无需特批的最高折扣率", "highest discount without special approval, per grade"),
    SettingDef("margin_floor", 0.15, "ratio", "投标毛利率底线", "bid margin floor"),
    SettingDef("amount_tolerance", 0.5, "number", "分期合计与合同金额允许差额（元）", "installments vs contract amount tolerance (yuan)"),
    SettingDef("risk_high", 15, "number", "风险等级（可能性×影响）≥ 此值为高", "risk level (likelihood × impact) ≥ this is high"),
    SettingDef("risk_medium", 8, "number", "风险等级 ≥ 此值为中", "risk level ≥ this is medium"),
    # SPEC §7: in the field and after the signature
    SettingDef("lead_screen_days", 2, "int", "线索登记后 N 个自然日内初筛（48小时）", "screen a lead within N calendar days of registering (48 h)"),
    SettingDef("visit_plan_days", 3, "int", "面谈拜访须提前 N 个工作日计划", "plan an in-person visit N working days ahead"),
    SettingDef("visit_record_days", 1, "int", "拜访后 N 个自然日内记录（24小时）", "record a visit within N calendar days (24 h)"),
    SettingDef("visit_cadence_days", 30, "int", "A 级或战略客户每 N 天至少面谈一次", "meet a grade-A or strategic customer in person every N days"),
    SettingDef("delivery_confirm_days", 5, "int", "里程碑计划须在计划日期前 N 个工作日经客户确认", "a milestone plan is confirmed by the client N working days before it"),
    SettingDef("delivery_report_days", 7, "int", "交付中的合同每 N 天一份周报", "a contract in delivery reports every N days"),
    SettingDef("overrun_tolerance", 0.1, "ratio", "实际成本超出预算此比例须有变更单", "actual cost above budget by this share needs a change request"),
    SettingDef("health_threshold", 80, "number", "客户健康度低于此值须制定挽回计划", "customer health below this needs a retention plan"),
    SettingDef("health_review_days", 90, "int", "合同期内客户每 N 天评估一次健康度", "assess a customer under contract every N days"),
    SettingDef("health_weights", (0.4, 0.3, 0.3), "weights", "健康度权重：使用活跃度,业务价值,关系维护（合计为1）", "health weights: usage, value, relationship (sum to 1)"),
    SettingDef("issue_escalation_days", (3, 7), "ints", "问题开放超过 N 天升级：销售经理,管理层", "escalate an open issue after N days: to the AM, to management"),
    SettingDef("complaint_reply_days", 2, "int", "投诉须在 N 个工作日内回复客户", "answer a complaint within N working days"),
    SettingDef("complaint_resolve_days", 5, "int", "投诉须在 N 个工作日内解决", "resolve a complaint within N working days"),
    SettingDef("ka_min_amount", 0, "number", "KA 项目最低预估金额（元；0 = 不检查）", "smallest estimated amount of a KA project (yuan; 0 = off)"),
    SettingDef("target_delivery_on_time", 0.9, "ratio", "目标：交付里程碑按时完成率", "target: delivery milestones on time"),
    SettingDef("target_csat", 85, "number", "目标：客户满意度均值", "target: average customer satisfaction"),
    SettingDef("target_health_ok", 0.9, "ratio", "目标：健康度达标客户占比", "target: share of customers at healthy level"),
    SettingDef("target_complaint_on_time", 0.9, "ratio", "目标：投诉按时解决率", "target: complaints resolved on time"),
    SettingDef("target_visit_cadence", 0.9, "ratio", "目标：重点客户按期面谈率", "target: key customers met in person on cadence"),
    SettingDef("target_renewal", 0.8, "ratio", "目标：到期合同续签率", "target: share of ended contracts renewed"),
    # SPEC §8: history
    SettingDef("stale_finding_weeks", 3, "int", "问题持续 N 周未解决则升级至销售经理的上级", "a finding open N weeks is escalated to the AM's manager"),
    SettingDef("calendar_fallback", "none", "choice", "未知年份的工作日：none 报错 / weekends 按周末", "unknown years: none = error, weekends = Mon–Fri", ("none", "weekends")),
)
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}


def format_default(definition: SettingDef) -> str:
    """How a default is written into the Settings tab (and read back by :func:`parse_value`)."""
    value = definition.default
    if definition.kind == "ints":
        return ",".join(str(v) for v in value)
    if definition.kind == "weights":
        return ",".join(f"{v:g}" for v in value)
    if definition.kind == "tiers":
        return ",".join(f"{k}:{v:g}" for k, v in value.items())
    if definition.kind == "ratio":
        return f"{value:g}"
    return str(value)


def parse_value(definition: SettingDef, raw: object) -> Any:
    """The typed value of a setting, or UNREADABLE."""
    kind = definition.kind
    if kind in ("int", "number", "ratio"):
        value = {"int": norm_int, "number": norm_number, "ratio": norm_ratio}[kind](raw)
        # every SOP threshold is a count of days, points, yuan or a share: never negative
        return UNREADABLE if value is None or value is UNREADABLE or value < 0 else value
    text = clean_text(str(raw)) if raw is not None else ""
    if kind == "choice":
        return text.lower() if text.lower() in definition.choices else UNREADABLE
    if kind == "ints":
        parts = [norm_int(p) for p in text.replace("，", ",").split(",") if p.strip()]
        if (len(parts) != len(definition.default) or any(p in (None, UNREADABLE) or p < 0 for p in parts)
                or parts != sorted(parts)):
            return UNREADABLE
        return tuple(parts)
    if kind == "weights":  # shares that sum to 1: a wrong sum is an error, never renormalised
        parts = [norm_number(p) for p in text.replace("，", ",").split(",") if p.strip()]
        if (len(parts) != len(definition.default) or any(p in (None, UNREADABLE) or p < 0 for p in parts)
                or abs(sum(parts) - 1) > 1e-6):
            return UNREADABLE
        return tuple(float(p) for p in parts)
    if kind == "tiers":
        tiers: dict[str, float] = {}
        for part in text.replace("，", ",").split(","):
            if ":" not in part.replace("：", ":"):
                return UNREADABLE
            grade, value = part.replace("：", ":").split(":", 1)
            ratio = norm_ratio(value)
            if ratio in (None, UNREADABLE) or grade.strip().upper() not in ("A", "B", "C"):
                return UNREADABLE
            tiers[grade.strip().upper()] = ratio
        return {**definition.default, **tiers}
    return UNREADABLE


class Settings(dict):
    """Setting key → typed value; every key of :data:`SETTINGS` is always present."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def why_refused(definition: SettingDef, raw: object) -> tuple[str, str]:
    """What is wrong with a list setting, so the user fixes the value rather than guesses
    (a weights list that does not sum to 1 names its sum: it is refused, never renormalised)."""
    if definition.kind not in ("weights", "ints"):
        return "", ""
    text = clean_text(str(raw)) if raw is not None else ""
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    count = len(definition.default)
    if definition.kind == "weights":
        numbers = [norm_number(p) for p in parts]
        if len(parts) != count:
            return f"须为 {count} 个用逗号分隔的权重", f"it must be {count} comma-separated weights"
        if any(n in (None, UNREADABLE) for n in numbers):
            return "每个权重须为数字", "each weight must be a number"
        if any(n < 0 for n in numbers):
            return "权重不能为负数", "no weight may be negative"
        total = sum(numbers)
        return (f"各权重合计为 {total:g}，须正好为 1（不会自动按比例调整）",
                f"the weights sum to {total:g}, not 1 (they are never rescaled)")
    return (f"须为 {count} 个由小到大、用逗号分隔的非负整数", f"it must be {count} non-negative whole numbers, "
            "comma-separated, smallest first")


def defaults() -> Settings:
    return Settings({s.key: s.default for s in SETTINGS})


def read_settings(ledger) -> tuple[Settings, list[Finding]]:
    """Settings from the ledger's Settings tab over the defaults; SET-001 for what is not usable."""
    settings = defaults()
    findings: list[Finding] = []
    frame = ledger.frames["settings"]
    chosen: dict[str, tuple[object, int]] = {}  # key -> (value, row it came from): the first file wins
    for index in frame.index:
        key = frame.at[index, "key"]
        if key is None:
            continue
        raw = ledger.raw_value("settings", index, "value")
        definition = SETTINGS_BY_KEY.get(str(key).strip().lower())
        if definition is None:
            findings.append(make(
                "SET-001", f"未知参数「{key}」，已忽略。可用参数见模板「参数 Settings」表。",
                f"Unknown setting '{key}' is ignored. The template's Settings tab lists every setting.",
                **ledger.locate("settings", index, "key")))
            continue
        value = parse_value(definition, raw)
        if value is UNREADABLE or value is None:
            why_zh, why_en = why_refused(definition, raw)
            findings.append(make(
                "SET-001",
                f"参数 {definition.key} 的值 “{quote(raw)}” 无法识别{'：' + why_zh if why_zh else ''}，"
                f"使用默认值 {format_default(definition)}。",
                f"Setting {definition.key} value '{quote(raw)}' cannot be read{': ' + why_en if why_en else ''}; "
                f"the default {format_default(definition)} is used.",
                **ledger.locate("settings", index, "value")))
            continue
        if definition.key in chosen:  # a second copy (another ledger of the portfolio, or a repeated row)
            first, first_index = chosen[definition.key]
            if value != first:
                where = ledger.locate("settings", first_index, "value")
                place = f"{Path(str(where['file'])).name} {where['cell']}"
                used = quote(ledger.raw_value("settings", first_index, "value"))
                findings.append(make(
                    "SET-001",
                    f"参数 {definition.key} 已在 {place} 设为 “{used}”，这里的 “{quote(raw)}” 与之不同，已忽略。"
                    "请统一各台账的参数。",
                    f"Setting {definition.key} is already set to '{used}' at {place}; this different value "
                    f"'{quote(raw)}' is ignored. Make the ledgers agree.",
                    **ledger.locate("settings", index, "value")))
            continue
        chosen[definition.key] = (value, index)
        settings[definition.key] = value
    return settings, findings
