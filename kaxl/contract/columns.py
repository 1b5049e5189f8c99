"""The ledger contract (SPEC §2) as data: every sheet and every column, defined exactly once.

Everything else is derived from these definitions — the reader's header matching, the pandera
schemas, the template's dropdowns and formats, the Guide tab and the docs table — so a column
added here appears everywhere and can never disagree with itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "date", "money", "ratio", "bool", "int", "number", "enum"]


@dataclass(frozen=True)
class Choice:
    """One allowed value of an enum column: stored as ``key``, typed as ``zh`` or ``key``."""

    key: str
    zh: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    """One ledger column: its names in both languages, its type and its constraints."""

    key: str
    zh: str
    en: str
    type: ColumnType = "text"
    required: bool = False
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    unique: bool = False
    ref: tuple[str, str] | None = None  # (sheet key, column key) this value must exist in
    help_zh: str = ""
    help_en: str = ""
    width: float | None = None
    open_choices: bool = False  # choices are suggestions (dropdown), free text also allowed

    @property
    def title(self) -> str:
        """The bilingual header the template writes: Chinese first, English beside it."""
        return f"{self.zh} {self.en}"

    @property
    def choice_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.choices)

    def dropdown(self) -> list[str]:
        """Values offered in the template's dropdown (Chinese labels: what users type)."""
        return [c.zh for c in self.choices]


@dataclass(frozen=True)
class Sheet:
    """One ledger tab."""

    key: str
    zh: str
    en: str
    required: bool
    row_zh: str
    row_en: str
    columns: tuple[Column, ...]
    unique_together: tuple[str, ...] = ()  # composite key, e.g. (contract_id, installment)
    # Each ledger of a portfolio keeps its own copy of this tab (contacts, settings, calendar):
    # its keys are unique within a file, and the same key in two files is not a duplicate.
    per_file: bool = False
    # SPEC §7's sheets: rules about the sheet run only when the workbook has it (a company that
    # does not track visits gets no visit findings), and its absence is never reported.
    optional: bool = False
    help_zh: str = ""
    help_en: str = ""
    _by_key: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key.update({c.key: c for c in self.columns})

    @property
    def title(self) -> str:
        return f"{self.zh} {self.en}"

    def column(self, key: str) -> Column:
        return self._by_key[key]

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


def _c(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(key, zh) for key, zh in pairs)


LEVELS = _c(("executive", "高层"), ("director", "总监"), ("manager", "经理"), ("staff", "员工"))
STAGES = _c(
    ("initiation", "立项"),
    ("proposal", "方案"),
    ("bidding", "投标"),
    ("contracting", "签约"),
    ("payment", "回款"),
    ("closed", "关闭"),
)
STAGE_ORDER: dict[str, int] = {c.key: i for i, c in enumerate(STAGES)}
PROJECT_STATUSES = _c(("active", "进行中"), ("won", "赢单"), ("lost", "输单"), ("on_hold", "暂停"))
ROLES_OURS = (
    Choice("AM", "销售经理", ("account_manager", "客户经理")),
    Choice("PS", "售前", ("presales", "售前支持")),
    Choice("CO", "商务", ("commercial_ops", "商务辅助")),
    Choice("DM", "交付经理", ("delivery_manager", "交付")),
    Choice("CS", "客户成功", ("customer_success", "csm")),
    Choice("sales_director", "销售总监", ("director",)),
    Choice("management", "管理层", ("mgmt", "管理")),
)
# Who owns a finding, by owner_role: the project column naming that person (SPEC §3, §7). A
# blank cell in that column falls back to the account manager.
ROLE_COLUMNS: dict[str, str] = {"AM": "account_manager", "PS": "presales", "CO": "commercial_ops",
                                "DM": "delivery_manager", "CS": "csm"}
MILESTONES = _c(("预付款", "预付款"), ("到货款", "到货款"), ("验收款", "验收款"), ("质保金", "质保金"))

_score_help = ("1 最低 – 5 最高", "1 lowest – 5 highest")

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "projects", "项目台账", "Projects", True, "每个大客户项目一行", "one row per KA project",
        (
            Column("project_id", "项目编号", "Project ID", required=True, unique=True,
                   help_zh="唯一编号，如 KA-2026-001", help_en="unique id, e.g. KA-2026-001", width=14),
            Column("customer", "客户名称", "Customer", required=True, width=24),
            Column("industry", "行业", "Industry", width=10),
            Column("relationship", "合作关系", "Relationship", "enum",
                   choices=_c(("strategic", "战略合作伙伴"), ("key", "重要客户"), ("general", "一般大客户"))),
            Column("strategic", "战略标杆", "Strategic", "bool", help_zh="是/否", help_en="yes/no"),
            Column("tier", "客户分级", "Tier", "enum", choices=_c(("A", "A"), ("B", "B"), ("C", "C")),
                   help_zh="留空则用计算分级；与计算分级不同时提示", help_en="blank = computed grade; differences are reported"),
            Column("account_manager", "销售经理", "Account manager", required=True, width=10),
            Column("presales", "售前支持", "Pre-sales", width=10),
            Column("commercial_ops", "商务辅助", "Commercial ops", width=10),
            Column("stage", "当前阶段", "Stage", "enum", required=True, choices=STAGES),
            Column("status", "状态", "Status", "enum", required=True, choices=PROJECT_STATUSES),
            Column("lead_date", "线索日期", "Lead date", "date", required=True),
            Column("estimated_amount", "预估金额", "Estimated amount", "money", required=True, min=0),
            Column("expected_close", "预计签约日期", "Expected close", "date"),
            Column("lost_reason", "输单原因", "Lost reason", help_zh="输单时必填", help_en="required when lost", width=20),
            Column("delivery_manager", "交付经理", "Delivery manager", width=10,
                   help_zh="签约后负责交付；留空则由销售经理负责", help_en="delivers after signing; blank = the AM"),
            Column("csm", "客户成功", "Customer success", width=10,
                   help_zh="负责客户健康度与续约；留空则由销售经理负责", help_en="health and renewal; blank = the AM"),
        ),
    ),
    Sheet(
        "initiation", "立项评估", "Initiation", True, "每个项目的立项表一行", "one row per project (its initiation form)",
        (
            Column("project_id", "项目编号", "Project ID", required=True, unique=True, ref=("projects", "project_id"), width=14),
            Column("form_date", "立项表日期", "Form date", "date", help_zh="线索后3个工作日内", help_en="within 3 working days of the lead"),
            Column("budget", "预算金额", "Budget", "money", min=0),
            Column("budget_status", "预算状态", "Budget status", "enum",
                   choices=_c(("approved", "已批复"), ("pending", "申请中"), ("unknown", "未知"))),
            Column("decision_maker", "决策人", "Decision maker"),
            Column("need", "核心需求", "Need", width=24),
            Column("urgency", "需求紧迫度", "Urgency", "int", min=1, max=5, help_zh=_score_help[0], help_en=_score_help[1]),
            Column("purchase_date", "预计采购时间", "Purchase date", "date"),
            Column("strategy_fit", "战略匹配度", "Strategy fit", "int", min=1, max=5, help_zh=_score_help[0], help_en=_score_help[1]),
            Column("review_date", "立项评审日期", "Review date", "date"),
            Column("review_result", "评审结论", "Review result", "enum",
                   choices=_c(("pass", "通过"), ("conditional", "有条件通过"), ("reject", "不通过"))),
            Column("crm_date", "录入CRM日期", "CRM entry date", "date"),
        ),
    ),
    Sheet(
        "stakeholders", "干系人地图", "Stakeholders", True, "客户方每个干系人一行（按项目）",
        "one row per client-side person, per project",
        (
            Column("project_id", "项目编号", "Project ID", required=True, ref=("projects", "project_id"), width=14),
            Column("name", "姓名", "Name", required=True),
            Column("title", "职务", "Title", width=14),
            Column("level", "层级", "Level", "enum", choices=LEVELS),
            Column("role", "角色", "Role", "enum", choices=_c(
                ("decision_maker", "决策者"), ("economic_buyer", "预算审批"), ("technical_evaluator", "技术评估"),
                ("user", "使用者"), ("influencer", "影响者"), ("coach", "内线"))),
            Column("attitude", "态度", "Attitude", "enum",
                   choices=_c(("supporter", "支持"), ("neutral", "中立"), ("opponent", "反对"))),
            Column("influence", "影响力", "Influence", "int", min=1, max=5, help_zh=_score_help[0], help_en=_score_help[1]),
            Column("owner", "对接人", "Owner", help_zh="我方对接人", help_en="our person in charge"),
            Column("last_contact", "最近接触日期", "Last contact", "date"),
            Column("is_kp", "关键人", "Key person", "bool",
                   help_zh="决策者、预算审批无论填什么都算关键人", help_en="decision makers and economic buyers always count"),
        ),
    ),
    Sheet(
        "bids", "方案投标", "Proposal & Bid", False, "进入方案阶段的项目一行", "one row per project that reached Proposal",
        (
            Column("project_id", "项目编号", "Project ID", required=True, unique=True, ref=("projects", "project_id"), width=14),
            Column("research_rounds", "调研轮次", "Research rounds", "int", min=0, help_zh="至少2轮", help_en="at least 2"),
            Column("briefing_date", "高层汇报日期", "Briefing date", "date"),
            Column("briefing_level", "汇报对象层级", "Briefing level", "enum", choices=LEVELS,
                   help_zh="总监及以上", help_en="director or above"),
            Column("control_points_locked", "控标点锁定", "Control points locked", "bool"),
            Column("poc_date", "POC日期", "POC date", "date"),
            Column("bid_date", "投标日期", "Bid date", "date"),
            Column("price_approval_date", "价格审批日期", "Price approval date", "date",
                   help_zh="投标前≥5个工作日", help_en="≥ 5 working days before the bid"),
            Column("sealed_date", "封标日期", "Sealed date", "date",
                   help_zh="投标前≥2个工作日", help_en="≥ 2 working days before the bid"),
            Column("bid_amount", "投标金额", "Bid amount", "money", min=0),
            Column("cost", "成本测算", "Cost", "money", min=0),
            Column("discount", "折扣率", "Discount", "ratio", min=0, max=1),
            Column("discount_approver", "特批折扣审批人", "Discount approver"),
            Column("result", "结果", "Result", "enum", choices=_c(("won", "中标"), ("lost", "未中标"), ("pending", "待定"))),
        ),
    ),
    Sheet(
        "contracts", "合同", "Contracts", False, "每份已签合同一行", "one row per signed contract",
        (
            Column("contract_id", "合同编号", "Contract ID", required=True, unique=True, width=14),
            Column("project_id", "项目编号", "Project ID", required=True, ref=("projects", "project_id"), width=14),
            Column("signed_date", "签订日期", "Signed date", "date", required=True),
            Column("amount", "合同金额", "Amount", "money", required=True, min=0),
            Column("advance_ratio", "预付款比例", "Advance ratio", "ratio", min=0, max=1,
                   help_zh="0 或空需垫资特批", help_en="0 or blank needs a special approval"),
            Column("special_approval", "垫资特批编号", "Special approval"),
            Column("legal_signoff", "法务审核日期", "Legal sign-off", "date"),
            Column("finance_signoff", "财务审核日期", "Finance sign-off", "date"),
            Column("acceptance_defined", "验收标准明确", "Acceptance defined", "bool"),
            Column("liability_defined", "违约责任明确", "Liability defined", "bool"),
            Column("handover_date", "交接单日期", "Handover date", "date"),
            Column("archived_date", "归档日期", "Archived date", "date"),
            Column("end_date", "合同到期日", "End date", "date"),
        ),
    ),
    Sheet(
        "receivables", "回款台账", "Receivables", True, "合同的每一期付款一行", "one row per payment installment",
        (
            Column("contract_id", "合同编号", "Contract ID", required=True, ref=("contracts", "contract_id"), width=14),
            Column("installment", "期次", "Installment", "int", required=True, min=1),
            Column("milestone", "付款节点", "Milestone", "enum", choices=MILESTONES, open_choices=True),
            Column("due_date", "应收日期", "Due date", "date", required=True),
            Column("amount_due", "应收金额", "Amount due", "money", required=True, min=0),
            Column("invoice_date", "开票日期", "Invoice date", "date"),
            Column("received_date", "实收日期", "Received date", "date"),
            Column("amount_received", "实收金额", "Amount received", "money", min=0),
            Column("followup_date", "最近跟进日期", "Follow-up date", "date"),
            Column("followup_note", "跟进记录", "Follow-up note", width=28),
        ),
        unique_together=("contract_id", "installment"),
    ),
    Sheet(
        "risks", "风险登记", "Risks", False, "每个风险一行", "one row per risk",
        (
            Column("risk_id", "风险编号", "Risk ID", required=True, unique=True, width=12),
            Column("project_id", "项目编号", "Project ID", required=True, ref=("projects", "project_id"), width=14),
            Column("description", "风险描述", "Description", required=True, width=30),
            Column("category", "类别", "Category", "enum", choices=_c(
                ("market", "市场"), ("credit", "信用"), ("partnership", "合作"), ("technical", "技术"),
                ("delivery", "交付"), ("compliance", "合规"))),
            Column("likelihood", "可能性", "Likelihood", "int", min=1, max=5, help_zh=_score_help[0], help_en=_score_help[1]),
            Column("impact", "影响", "Impact", "int", min=1, max=5, help_zh=_score_help[0], help_en=_score_help[1]),
            Column("response", "应对措施", "Response", width=28),
            Column("owner", "责任人", "Owner"),
            Column("status", "状态", "Status", "enum", choices=_c(("open", "开放"), ("closed", "已关闭"))),
            Column("review_date", "下次复核日期", "Review date", "date"),
        ),
    ),
    # ---- SPEC §7: the field and the after-sale sheets. Optional: a workbook without one gets
    # no rule of that sheet and no finding about its absence (``Sheet.optional``).
    Sheet(
        "leads", "线索登记", "Leads", False, "每条线索一行", "one row per lead",
        (
            Column("lead_id", "线索编号", "Lead ID", required=True, unique=True, width=14,
                   help_zh="唯一编号，如 XS-2026-001", help_en="unique id, e.g. XS-2026-001"),
            Column("customer", "客户名称", "Customer", required=True, width=24),
            Column("source", "线索来源", "Source", "enum", choices=_c(
                ("exhibition", "展会"), ("referral", "转介绍"), ("tender", "招标平台"), ("website", "官网"),
                ("data_platform", "数据平台"), ("other", "其他"))),
            Column("registered_date", "登记日期", "Registered date", "date", required=True),
            Column("owner", "负责人", "Owner", required=True, width=10, help_zh="负责跟进的销售经理",
                   help_en="the account manager following it up"),
            Column("industry", "行业", "Industry", width=10),
            Column("estimated_amount", "预估金额", "Estimated amount", "money", min=0),
            Column("screened_date", "初筛日期", "Screened date", "date",
                   help_zh="登记后48小时内初筛", help_en="screen within 48 hours of registering"),
            Column("grade", "分级", "Grade", "enum", choices=_c(("A", "A"), ("B", "B"), ("C", "C"))),
            Column("result", "处理结果", "Result", "enum", choices=_c(
                ("converted", "转立项"), ("nurture", "培育"), ("parked", "暂不跟进"), ("dropped", "放弃"))),
            Column("project_id", "项目编号", "Project ID", ref=("projects", "project_id"), width=14,
                   help_zh="转立项时填写", help_en="required once converted"),
            Column("admission_applied", "准入申请日期", "Admission applied", "date"),
            Column("admission_approved", "准入审批日期", "Admission approved", "date",
                   help_zh="KA 准入：立项推进前须审批", help_en="KA admission: approved before the project moves on"),
            Column("admission_approver", "准入审批人", "Admission approver", width=10),
        ),
        optional=True,
    ),
    Sheet(
        "visits", "拜访记录", "Visits", False, "每次拜访或通话一行", "one row per visit or call",
        (
            Column("project_id", "项目编号", "Project ID", required=True, ref=("projects", "project_id"), width=14),
            Column("visit_date", "拜访日期", "Visit date", "date", required=True),
            Column("visitor", "拜访人", "Visitor", required=True, width=10),
            Column("kind", "方式", "Kind", "enum", required=True, choices=_c(
                ("in_person", "面谈"), ("phone", "电话"), ("video", "视频"), ("event", "活动"))),
            Column("contacts", "拜访对象", "Contacts", width=20,
                   help_zh="客户方姓名，用 、 , ; 或换行分隔", help_en="client-side names, separated by 、 , ; or a new line"),
            Column("plan_date", "计划日期", "Plan date", "date",
                   help_zh="面谈须提前3个工作日计划", help_en="plan in-person visits 3 working days ahead"),
            Column("record_date", "记录日期", "Record date", "date",
                   help_zh="拜访后24小时内记录", help_en="record within 24 hours"),
            Column("purpose", "目的", "Purpose", width=20),
            Column("outcome", "结果", "Outcome", width=24),
            Column("next_step", "下一步", "Next step", width=20),
            Column("next_date", "下次跟进日期", "Next follow-up", "date"),
        ),
        optional=True,
    ),
    Sheet(
        "delivery", "交付里程碑", "Delivery", False, "合同的每个交付里程碑一行", "one row per delivery milestone of a contract",
        (
            Column("contract_id", "合同编号", "Contract ID", required=True, ref=("contracts", "contract_id"), width=14),
            Column("milestone", "里程碑", "Milestone", "enum", required=True, open_choices=True, choices=_c(
                ("requirements", "需求确认"), ("build", "开发"), ("test", "测试"), ("training", "培训"),
                ("go_live", "上线"), ("acceptance", "验收"))),
            Column("planned_date", "计划日期", "Planned date", "date", required=True),
            Column("actual_date", "完成日期", "Actual date", "date"),
            Column("plan_confirmed", "客户确认日期", "Plan confirmed", "date",
                   help_zh="计划日期前5个工作日由客户确认", help_en="confirmed by the client 5 working days before"),
            Column("signoff_date", "三方签字日期", "Sign-off date", "date",
                   help_zh="客户、交付、销售三方签字", help_en="client, delivery and sales sign-off"),
            Column("last_report", "最近周报日期", "Last weekly report", "date"),
            Column("owner", "交付经理", "Delivery manager", width=10),
            Column("budget", "预算金额", "Budget", "money", min=0),
            Column("actual_cost", "实际成本", "Actual cost", "money", min=0),
            Column("change_request", "变更单号", "Change request", width=14,
                   help_zh="成本超支须有变更单", help_en="a cost overrun needs a change request"),
        ),
        optional=True,
    ),
    Sheet(
        "health", "客户健康度", "Health", False, "每次客户健康度评估一行", "one row per health assessment of a customer",
        (
            Column("customer", "客户名称", "Customer", required=True, ref=("projects", "customer"), width=24,
                   help_zh="与项目台账中的客户名称一致", help_en="as in the Projects sheet"),
            Column("assessed_date", "评估日期", "Assessed date", "date", required=True),
            Column("usage", "使用活跃度", "Usage", "number", required=True, min=0, max=100, help_zh="0–100",
                   help_en="0–100"),
            Column("value", "业务价值", "Value", "number", required=True, min=0, max=100, help_zh="0–100",
                   help_en="0–100"),
            Column("relationship", "关系维护", "Relationship", "number", min=0, max=100,
                   help_zh="0–100；留空则按关键人接触情况计算", help_en="0–100; blank = computed from key-person contact"),
            Column("csat", "满意度", "CSAT", "number", min=0, max=100, help_zh="0–100", help_en="0–100"),
            Column("retention_plan_date", "挽回计划日期", "Retention plan date", "date",
                   help_zh="健康度低于80须制定挽回计划", help_en="a retention plan is due below 80"),
            Column("retention_owner", "挽回负责人", "Retention owner", width=10),
            Column("note", "说明", "Note", width=30),
        ),
        optional=True,
    ),
    Sheet(
        "issues", "问题与投诉", "Issues", False, "每个问题或投诉一行", "one row per complaint or issue",
        (
            Column("issue_id", "编号", "Issue ID", required=True, unique=True, width=12),
            Column("project_id", "项目编号", "Project ID", required=True, ref=("projects", "project_id"), width=14),
            Column("kind", "类型", "Kind", "enum", required=True, choices=_c(("complaint", "投诉"), ("issue", "问题"))),
            Column("raised_date", "提出日期", "Raised date", "date", required=True),
            Column("description", "描述", "Description", required=True, width=30),
            Column("priority", "严重程度", "Priority", "enum", choices=_c(("high", "高"), ("medium", "中"), ("low", "低"))),
            Column("owner", "责任人", "Owner", width=10),
            Column("department", "责任部门", "Department", width=12),
            Column("replied_date", "回复客户日期", "Replied date", "date",
                   help_zh="投诉须在2个工作日内回复", help_en="reply to a complaint within 2 working days"),
            Column("resolved_date", "解决日期", "Resolved date", "date"),
            Column("status", "状态", "Status", "enum", choices=_c(("open", "开放"), ("resolved", "已解决"))),
        ),
        optional=True,
    ),
    Sheet(
        "contacts", "通讯录", "Contacts", False, "我方每个人一行", "one row per person on our side",
        (
            Column("name", "姓名", "Name", required=True, unique=True),
            Column("role", "岗位", "Role", "enum", choices=ROLES_OURS),
            Column("email", "邮箱", "Email", required=True, width=26),
            Column("manager", "上级", "Manager", ref=("contacts", "name"),
                   help_zh="升级对象（通讯录中的姓名）", help_en="escalation target (a name in Contacts)"),
            Column("mobile", "手机", "Mobile", width=14,
                   help_zh="群机器人 @ 提醒用（钉钉）", help_en="for @-mentions by group robots (DingTalk)"),
            Column("wecom_userid", "企业微信ID", "WeCom user ID", width=14,
                   help_zh="企业微信群机器人 @ 提醒用", help_en="for @-mentions by the WeCom group robot"),
            Column("dingtalk_userid", "钉钉ID", "DingTalk user ID", width=14,
                   help_zh="钉钉群机器人 @ 提醒用（无手机号时）", help_en="for DingTalk @-mentions when there is no mobile"),
            Column("feishu_open_id", "飞书ID", "Feishu open ID", width=16,
                   help_zh="飞书群机器人 @ 提醒用（ou_ 开头）", help_en="for Feishu @-mentions (starts with ou_)"),
        ),
        per_file=True,
    ),
    Sheet(
        "settings", "参数", "Settings", False, "每个参数一行", "one row per setting",
        (
            Column("key", "参数", "Key", required=True, unique=True, width=30),
            Column("value", "值", "Value", required=True, width=16),
            Column("note", "说明", "Note", width=50),
        ),
        per_file=True,
    ),
    Sheet(
        "calendar", "日历", "Calendar", False, "每个调整日期一行", "one row per date overriding the statutory calendar",
        (
            Column("date", "日期", "Date", "date", required=True, unique=True),
            Column("day_type", "类型", "Day type", "enum", required=True,
                   choices=_c(("workday", "工作日"), ("holiday", "休息日"), ("year_defined", "整年已定义")),
                   help_zh="“整年已定义”：该日期所在年份的节假日与调休已全部列在本表，未列出的日子按周末规则",
                   help_en="year_defined: every holiday and make-up day of that date's year is listed here; other days follow the weekend rule"),
            Column("note", "说明", "Note", width=40),
        ),
        per_file=True,
    ),
)

SHEETS_BY_KEY: dict[str, Sheet] = {s.key: s for s in SHEETS}


def sheet(key: str) -> Sheet:
    """The sheet definition for a canonical key (``projects``, ``receivables``…)."""
    return SHEETS_BY_KEY[key]
