"""Shared parts of the digest tests: a ledger worked out by hand, SMTP servers, a fake clock.

The ledger (as of Wednesday 2026-11-18, ISO week 2026-W47) is complete and on time in every
SOP node, so the only alerts are the receivables below — worked out by hand:

  C1 (P1, customer ``<script>alert(1)</script>``, AM 张伟, CO 李娜, PS 赵敏), 1,000,000:
    #1 2025-11-01 300,000 paid on time                     → nothing
    #2 2026-08-20 300,000 open: 90 days overdue            → PAY-003, L3 (61–90)
    #3 2026-11-20 300,000 open: due in 2 days              → PAY-001, due this week
    #4 2026-12-20 100,000 open: 32 days ahead              → nothing yet
  C2 (P2, 华东电力, AM 孙强 (no manager in Contacts), CO 李娜), 700,000:
    #1 2026-10-01 500,000 open: 48 days overdue            → PAY-003, L2 (31–60)
    #2 2026-11-27 200,000 open: 9 days ahead               → upcoming, after this week: not listed

Contacts: 张伟 AM, 李娜 CO, 赵敏 PS, 陈晨 AM (all → 王总), 孙强 AM (no manager),
王总 sales_director (→ 刘总), 刘总 management. So:
  张伟: C1#2 overdue + C1#3 due                     "1项逾期，1项本周到期"
  李娜: the ladder puts both overdue installments in front of the CO   "2项逾期，0项本周到期"
  孙强: C2#1                                        "1项逾期，0项本周到期"
  王总: team overview + L≥2: C1#2 (team) and C2#1 (孙强 has no manager: every director)
  刘总: KPIs + L≥3: C1#2 only
  赵敏, 陈晨: nothing to report → no e-mail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kaxl.digest.config import DigestConfig, ScheduleConfig, SmtpConfig
from tests.ledger_factory import d, write_ledger

AS_OF = d("2026-11-18")
SHANGHAI = ZoneInfo("Asia/Shanghai")
XSS = "<script>alert(1)</script>"
EMAILS = {"张伟": "zhangwei@example.com", "李娜": "lina@example.com", "赵敏": "zhaomin@example.com",
          "陈晨": "chenchen@example.com", "孙强": "sunqiang@example.com", "王总": "wang@example.com",
          "刘总": "liu@example.com"}
EXPECTED = {EMAILS[n] for n in ("张伟", "李娜", "孙强", "王总", "刘总")}


def _project(pid: str, customer: str, am: str, co: str, ps: str | None) -> dict:
    return {"project_id": pid, "customer": customer, "industry": "能源", "relationship": "重要客户",
            "account_manager": am, "presales": ps, "commercial_ops": co, "stage": "回款", "status": "赢单",
            "lead_date": d("2025-09-01"), "estimated_amount": 1_000_000, "expected_close": d("2025-10-20")}


def _initiation(pid: str) -> dict:
    return {"project_id": pid, "form_date": d("2025-09-02"), "budget": 1_000_000, "budget_status": "已批复",
            "decision_maker": "周总", "need": "调度系统升级", "urgency": 4, "purchase_date": d("2025-10-15"),
            "strategy_fit": 4, "review_date": d("2025-09-03"), "review_result": "通过", "crm_date": d("2025-09-03")}


def _bid(pid: str) -> dict:
    return {"project_id": pid, "research_rounds": 2, "briefing_date": d("2025-09-10"), "briefing_level": "总监",
            "control_points_locked": "是", "bid_date": d("2025-09-30"), "price_approval_date": d("2025-09-15"),
            "sealed_date": d("2025-09-24"), "bid_amount": 1_000_000, "cost": 600_000, "discount": 0.05,
            "result": "中标"}


def _contract(cid: str, pid: str, amount: float) -> dict:
    return {"contract_id": cid, "project_id": pid, "signed_date": d("2025-10-20"), "amount": amount,
            "advance_ratio": 0.3, "legal_signoff": d("2025-10-17"), "finance_signoff": d("2025-10-17"),
            "acceptance_defined": "是", "liability_defined": "是", "handover_date": d("2025-10-21"),
            "archived_date": d("2025-10-21"), "end_date": d("2028-12-31")}


def _inst(cid: str, n: int, due: str, amount: float, *, paid: str | None = None, invoice: str | None = None) -> dict:
    row = {"contract_id": cid, "installment": n, "due_date": d(due), "amount_due": amount}
    if invoice:
        row["invoice_date"] = d(invoice)
    if paid:
        row |= {"received_date": d(paid), "amount_received": amount}
    return row


def _stakeholders(pid: str) -> list[dict]:
    return [{"project_id": pid, "name": "周总", "title": "总经理", "level": "高层", "role": "决策者", "attitude": "支持",
             "influence": 5, "last_contact": d("2026-11-10"), "is_kp": "是"},
            {"project_id": pid, "name": "吴处", "title": "财务总监", "level": "总监", "role": "预算审批",
             "attitude": "中立", "influence": 4, "last_contact": d("2026-11-12"), "is_kp": "是"}]


SHEETS = {
    "projects": [_project("P1", XSS, "张伟", "李娜", "赵敏"), _project("P2", "华东电力", "孙强", "李娜", None)],
    "initiation": [_initiation("P1"), _initiation("P2")],
    "stakeholders": _stakeholders("P1") + _stakeholders("P2"),
    "bids": [_bid("P1"), _bid("P2")],
    "contracts": [_contract("C1", "P1", 1_000_000), _contract("C2", "P2", 700_000)],
    "receivables": [
        _inst("C1", 1, "2025-11-01", 300_000, paid="2025-10-30", invoice="2025-10-25"),
        _inst("C1", 2, "2026-08-20", 300_000, invoice="2026-08-15"),
        _inst("C1", 3, "2026-11-20", 300_000, invoice="2026-11-10"),
        _inst("C1", 4, "2026-12-20", 100_000),
        _inst("C2", 1, "2026-10-01", 500_000, invoice="2026-09-25"),
        _inst("C2", 2, "2026-11-27", 200_000),
    ],
    "contacts": [
        {"name": "张伟", "role": "销售经理", "email": EMAILS["张伟"], "manager": "王总"},
        {"name": "李娜", "role": "商务", "email": EMAILS["李娜"], "manager": "王总"},
        {"name": "赵敏", "role": "售前", "email": EMAILS["赵敏"], "manager": "王总"},
        {"name": "陈晨", "role": "销售经理", "email": EMAILS["陈晨"], "manager": "王总"},
        {"name": "孙强", "role": "销售经理", "email": EMAILS["孙强"]},
        {"name": "王总", "role": "销售总监", "email": EMAILS["王总"], "manager": "刘总"},
        {"name": "刘总", "role": "管理层", "email": EMAILS["刘总"]},
    ],
}


def write_hand_ledger(path: Path) -> Path:
    return write_ledger(path, SHEETS)


class Clock:
    """An injected clock the test moves by hand (never sleeps)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def at(text: str) -> Clock:
    return Clock(dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An aiosmtpd handler that keeps what it received; ``fail`` makes DATA answer 451."""

    def __init__(self, fail: bool = False) -> None:
        self.envelopes: list = []
        self.fail = fail

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.fail:
            return "451 4.3.0 temporary failure, try again later"
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def recipients(self) -> list[str]:
        return [rcpt for env in self.envelopes for rcpt in env.rcpt_tos]


def authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
            and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535
    return check


def start_server(handler: Recorder, **kwargs) -> Controller:
    """A real SMTP server on 127.0.0.1 and a free port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), loop=asyncio.new_event_loop(), **kwargs)
    controller.start()
    return controller


def tls_contexts(tmp: Path):
    """(server SSL context, CA file) from a throw-away trustme CA."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    cafile = tmp / "test-ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return server, cafile


def config_for(tmp: Path, ledger: Path, port: int, **smtp) -> DigestConfig:
    return DigestConfig(
        ledgers=(ledger,), sender_name="大客户运营中心", sender_email="ka-ops@example.com",
        state_file=tmp / "state" / "digest-state.json", out_dir=tmp / "out",
        smtp=replace(SmtpConfig(host="127.0.0.1", port=port, security="plain", timeout=10), **smtp),
        schedule=ScheduleConfig(weekday="monday", time="09:00", timezone="Asia/Shanghai", poll_seconds=60))
