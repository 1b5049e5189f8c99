"""``kaxl digest --check-config``: everything a send would need, checked without sending.

IT sets the digest up once and the scheduler runs it unattended, so a missing environment
variable or an audience that names nobody must show up on the day it is configured, not as a
silent Monday. Checks: the SMTP password variable (when a login is configured), each channel's
URL and secret variables (set, and the URL an http(s) address), and each audience against the
ledgers' Contacts tab (person: a contact; team: a contact with people reporting to them;
management: at least one contact with the management role).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

from kaxl.digest.config import ConfigError, DigestConfig
from kaxl.digest.recipients import Contact, contacts_of

Problem = tuple[str, str]


def check_config(config: DigestConfig, *, environ: Mapping[str, str] | None = None,
                 read: Callable[[list[Any]], Any] | None = None) -> list[Problem]:
    """Every problem found (zh, en); an empty list means a send has all it needs."""
    env = os.environ if environ is None else environ
    problems: list[Problem] = []
    try:
        config.smtp.password(env)
    except ConfigError as exc:
        problems.append((exc.message_zh, exc.message_en))
    for channel in config.channels:
        for getter in (channel.url, channel.secret):
            try:
                value = getter(env)
            except ConfigError as exc:
                problems.append((exc.message_zh, exc.message_en))
                continue
            if getter == channel.url and value and not value.lower().startswith(("https://", "http://")):
                problems.append((f"频道 {channel.key} 的环境变量 {channel.url_env} 不是 http(s) 地址",
                                 f"channel {channel.key}: ${channel.url_env} is not an http(s) URL"))
    if not config.channels:
        return problems
    if not config.ledgers:
        problems.append(("没有台账，无法核对频道的接收对象：请在命令行或 kaxl.toml 的 ledgers 中给出",
                         "no ledger to check the channels' audiences against: name it on the command line or "
                         "under 'ledgers' in kaxl.toml"))
        return problems
    if read is None:
        from kaxl.api import read_ledger as read
    ledger = read(list(config.ledgers))
    contacts = contacts_of(SimpleNamespace(ledger=ledger))
    for channel in config.channels:
        problem = audience_problem(channel.key, channel.audience, contacts)
        if problem:
            problems.append(problem)
    return problems


def audience_problem(key: str, audience: str, contacts: list[Contact]) -> Problem | None:
    kind, _, name = audience.partition(":")
    by_name = {c.name: c for c in contacts}
    if kind == "person" and name not in by_name:
        return (f"频道 {key}：通讯录中没有 “{name}”（需有姓名和邮箱）",
                f"channel {key}: {name!r} is not in the Contacts tab (with a name and an e-mail)")
    if kind == "team":
        if name not in by_name:
            return (f"频道 {key}：通讯录中没有销售总监 “{name}”", f"channel {key}: sales director {name!r} is not in Contacts")
        if not any(c.manager == name for c in contacts):
            return (f"频道 {key}：通讯录中没有人的上级是 “{name}”，团队为空",
                    f"channel {key}: nobody in Contacts has {name!r} as manager, so the team is empty")
    if kind == "management" and not any(c.role == "management" for c in contacts):
        return (f"频道 {key}：通讯录中没有岗位为 管理层 的人", f"channel {key}: nobody in Contacts has the role management")
    return None
