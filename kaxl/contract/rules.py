"""Every rule id of SPEC §3 with its severity, owner role and a short bilingual title.

The registry is the one place a rule's severity lives: findings take it from here, the docs
table and the Guide tab list it from here, and tests check that every id here is exercised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str  # "error" | "warning" | "info"
    owner_role: str  # "AM" | "PS" | "CO" | "DM" | "CS"
    title_zh: str
    title_en: str


_RULES = (
    # Schema rules: the data itself. The person who keeps the ledger (商务辅助 CO) fixes them.
    Rule("SCH-001", "error", "CO", "缺少必需的工作表", "required sheet missing"),
    Rule("SCH-002", "error", "CO", "缺少必需的列", "required column missing"),
    Rule("SCH-003", "error", "CO", "必填单元格为空", "required cell empty"),
    Rule("SCH-004", "error", "CO", "值无法识别", "value unreadable for its type"),
    Rule("SCH-005", "error", "CO", "值不在允许列表中", "value not in the allowed list"),
    Rule("SCH-006", "error", "CO", "编号重复", "duplicate key"),
    Rule("SCH-007", "error", "CO", "引用了不存在的编号", "reference to an unknown id"),
    Rule("SCH-008", "error", "CO", "数值超出范围", "number out of range"),
    Rule("SCH-009", "info", "CO", "未知列（已忽略）", "unknown column (ignored)"),
    Rule("SCH-010", "warning", "CO", "公式没有缓存值", "formula without a cached value"),
    Rule("SCH-011", "warning", "CO", "列标题重复（使用第一列）", "duplicate column header (the first is used)"),
    Rule("SCH-012", "info", "CO", "工作表还没有数据", "sheet has no data yet"),
    Rule("CAL-001", "error", "CO", "日期不在任何已知日历年份内", "date outside every known calendar year"),
    Rule("SET-001", "warning", "CO", "参数无法识别或未知（使用默认值）", "setting unreadable or unknown (default used)"),
    # SOP rules (SPEC §3 table).
    Rule("INI-001", "error", "AM", "立项表逾期", "initiation form late"),
    Rule("INI-002", "error", "AM", "BANT 信息不完整", "BANT incomplete"),
    Rule("INI-003", "error", "AM", "未经立项评审即推进", "moved on without an initiation review"),
    Rule("INI-004", "error", "CO", "日期先后顺序错误", "dates out of order"),
    Rule("INI-005", "info", "AM", "客户分级与计算分级不一致", "typed tier differs from the computed grade"),
    Rule("STK-001", "error", "AM", "缺少干系人或决策者", "no stakeholder or no decision maker"),
    Rule("STK-002", "warning", "AM", "关键人超期未接触", "key person not contacted recently"),
    Rule("STK-003", "warning", "AM", "高影响力反对者无应对", "influential opponent without a response"),
    Rule("PRO-001", "error", "PS", "需求调研轮次不足", "too few research rounds"),
    Rule("PRO-002", "error", "AM", "未向总监及以上汇报", "no briefing at director level or above"),
    Rule("PRO-003", "warning", "PS", "控标点未锁定", "control points not locked"),
    Rule("BID-001", "error", "CO", "价格审批缺失或过晚", "price approval missing or late"),
    Rule("BID-002", "error", "CO", "封标缺失或过晚", "sealing missing or late"),
    Rule("BID-003", "warning", "AM", "折扣超权限或毛利低于底线", "discount above tier or margin below floor"),
    Rule("CON-001", "error", "AM", "零预付款无垫资特批", "zero advance without special approval"),
    Rule("CON-002", "error", "CO", "缺少法务与财务双签", "legal and finance sign-off missing"),
    Rule("CON-003", "error", "AM", "验收标准或违约责任不明确", "acceptance or liability not defined"),
    Rule("CON-004", "warning", "AM", "交接单过晚", "handover late"),
    Rule("CON-005", "warning", "CO", "合同归档过晚", "archiving late"),
    Rule("CON-006", "error", "CO", "回款分期合计不等于合同金额", "installments do not sum to the contract amount"),
    Rule("REN-001", "warning", "AM", "合同即将到期未启动续约", "contract ending without a renewal project"),
    Rule("PAY-001", "warning", "AM", "回款即将到期", "receivable due within days"),
    Rule("PAY-002", "warning", "AM", "回款今日到期", "receivable due today"),
    Rule("PAY-003", "error", "AM", "回款逾期", "receivable overdue"),
    Rule("PAY-004", "warning", "CO", "到期未开票", "no invoice by the due date"),
    Rule("PAY-005", "error", "CO", "实收异常", "received more than due or in the future"),
    Rule("RSK-001", "error", "AM", "高风险无应对或责任人", "high risk without response or owner"),
    Rule("RSK-002", "warning", "AM", "风险复核逾期", "risk review overdue"),
    # SPEC §7: in the field (leads, visits) and after the signature (delivery, health, issues).
    Rule("LEA-001", "warning", "AM", "线索未按时初筛", "lead not screened in time"),
    Rule("LEA-002", "error", "AM", "线索已转立项但未填项目编号", "lead converted without a project id"),
    Rule("LEA-003", "error", "AM", "未经 KA 准入即推进", "moved on without KA admission"),
    Rule("PRJ-001", "info", "AM", "项目低于 KA 金额门槛", "project below the KA threshold"),
    Rule("VIS-001", "warning", "AM", "拜访未按时记录", "visit not recorded in time"),
    Rule("VIS-002", "warning", "AM", "面谈拜访未提前计划", "in-person visit not planned ahead"),
    Rule("VIS-003", "warning", "AM", "重点客户本期未面谈拜访", "key customer not met in person"),
    Rule("VIS-004", "warning", "AM", "约定的跟进未发生", "agreed follow-up did not happen"),
    Rule("VIS-005", "info", "CO", "拜访对象不在干系人地图中", "visited person not in the stakeholder map"),
    Rule("DEL-001", "error", "DM", "交付里程碑逾期", "delivery milestone overdue"),
    Rule("DEL-002", "warning", "DM", "里程碑计划未经客户确认", "milestone plan not confirmed by the client"),
    Rule("DEL-003", "warning", "DM", "交付周报中断", "weekly delivery report overdue"),
    Rule("DEL-004", "warning", "DM", "里程碑完成但缺三方签字", "milestone done without three-party sign-off"),
    Rule("DEL-005", "error", "AM", "成本超支无变更单", "cost overrun without a change request"),
    Rule("DEL-006", "warning", "CO", "验收款早于验收签字", "acceptance payment before acceptance sign-off"),
    Rule("HLT-001", "error", "CS", "健康度低于阈值无挽回计划", "health below threshold without a retention plan"),
    Rule("HLT-002", "warning", "CS", "客户健康度未按期评估", "customer health not assessed recently"),
    Rule("ISS-001", "warning", "AM", "问题或投诉久未解决", "issue or complaint open too long"),
    Rule("ISS-002", "error", "AM", "投诉未按时回复客户", "complaint not answered in time"),
    Rule("ISS-003", "error", "CO", "解决状态与日期不符", "resolution status and date disagree"),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
