"""Digest settings: ``kaxl.toml`` (documented in kaxl.toml.example), overridden by CLI flags.

Why a file at all: IT installs the digest once (SMTP host, sender, schedule) and the scheduler
runs unattended, so those settings cannot live on a command line in a Task Scheduler entry.
The SMTP password is never read from the file: only the *name* of an environment variable is,
and a ``password`` key in the file is refused outright (SPEC §6).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from kaxl.errors import KaxlError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_CONFIG_NAME = "kaxl.toml"
SECURITY_MODES = ("starttls", "tls", "plain")
LANGUAGES = ("zh+en", "zh", "en")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DEFAULT_PORT = {"starttls": 587, "tls": 465, "plain": 25}
CHANNEL_KINDS = ("wecom", "dingtalk", "feishu")
CHANNEL_KEYS = ("kind", "audience", "url_env", "secret_env", "keyword")
SECRET_KEYS = ("url", "secret", "webhook", "token", "access_token")  # values that belong in the environment
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ConfigError(KaxlError):
    """kaxl.toml is missing a value, has a wrong one, or holds a secret it must not hold."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int | None = None  # None: the usual port of the security mode
    security: str = "starttls"  # starttls | tls (implicit, "SMTPS") | plain (internal relay)
    username: str | None = None  # no username: no login (a relay that trusts the network)
    password_env: str = "KAXL_SMTP_PASSWORD"
    timeout: float = 30.0
    cafile: str | None = None  # a company CA bundle, for relays with an internal certificate
    verify: bool = True  # False only for a lab relay with a self-signed certificate

    @property
    def effective_port(self) -> int:
        return self.port or _DEFAULT_PORT[self.security]

    def password(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The password from the environment variable the config names (never from a file)."""
        if not self.username:
            return None
        env = os.environ if environ is None else environ
        value = env.get(self.password_env)
        if not value:
            raise ConfigError(
                f"SMTP 用户 {self.username} 需要密码：请设置环境变量 {self.password_env}",
                f"SMTP user {self.username} needs a password: set the environment variable {self.password_env}")
        return value


@dataclass(frozen=True)
class ScheduleConfig:
    weekday: str = "monday"
    time: str = "09:00"
    timezone: str = "Asia/Shanghai"
    poll_seconds: int = 60

    @property
    def weekday_index(self) -> int:
        return WEEKDAYS.index(self.weekday.strip().lower())

    @property
    def clock_time(self) -> dt.time:
        return dt.time.fromisoformat(self.time)


@dataclass(frozen=True)
class ChannelConfig:
    """One ``[[channel]]`` table (SPEC §9): a group robot and who its messages are for.

    Only the *names* of the environment variables holding the webhook URL and the signing
    secret are in the file: a webhook URL is a credential (anyone holding it can post to the
    group), so it is kept out of files the way the SMTP password is.
    """

    kind: str  # wecom | dingtalk | feishu
    audience: str  # management | team:<sales director> | person:<name in contacts>
    url_env: str
    secret_env: str | None = None
    keyword: str | None = None  # the robot's security keyword, put in every message

    @property
    def key(self) -> str:
        """The destination in the state file: ``channel:dingtalk:team:胡红梅``."""
        return f"channel:{self.kind}:{self.audience}"

    @property
    def audience_kind(self) -> str:
        return self.audience.partition(":")[0]

    @property
    def audience_name(self) -> str:
        return self.audience.partition(":")[2].strip()

    def url(self, environ: Mapping[str, str] | None = None) -> str:
        """The webhook URL from the environment (never from a file)."""
        env = os.environ if environ is None else environ
        value = (env.get(self.url_env) or "").strip()
        if not value:
            raise ConfigError(f"频道 {self.key} 需要 webhook 地址：请设置环境变量 {self.url_env}",
                              f"channel {self.key} needs its webhook URL: set the environment variable {self.url_env}")
        return value

    def secret(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The signing secret from the environment, or None for a robot that is not signed."""
        if not self.secret_env:
            return None
        env = os.environ if environ is None else environ
        value = (env.get(self.secret_env) or "").strip()
        if not value:
            raise ConfigError(f"频道 {self.key} 需要加签密钥：请设置环境变量 {self.secret_env}",
                              f"channel {self.key} needs its signing secret: set the environment variable "
                              f"{self.secret_env}")
        return value


@dataclass(frozen=True)
class DigestConfig:
    """Everything the digest needs; paths are absolute once loaded (relative to the toml)."""

    ledgers: tuple[Path, ...] = ()
    sender_name: str = "大客户运营 KA Ops"
    sender_email: str = "kaxl@localhost"
    reply_to: str | None = None
    language: str = "zh+en"
    attach_summary: bool = True
    max_items: int = 200  # per e-mail; the rest is counted and left to the summary workbook
    state_file: Path = Path("kaxl-digest-state.json")
    out_dir: Path = Path("digest-out")
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    channels: tuple[ChannelConfig, ...] = ()  # group robots (SPEC §9), beside the e-mail
    source: Path | None = None  # the toml it came from, for messages

    def with_overrides(self, **changes: Any) -> DigestConfig:
        """Command-line flags win over the file; ``None`` means "flag not given"."""
        top = {k: v for k, v in changes.items() if v is not None and k in {f.name for f in fields(self)}}
        smtp = {k[5:]: v for k, v in changes.items() if v is not None and k.startswith("smtp_")}
        config = replace(self, **top)
        if smtp:
            config = replace(config, smtp=replace(config.smtp, **smtp))
        _validate(config)
        return config


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config to use: ``--config``, else $KAXL_CONFIG, else ./kaxl.toml if present."""
    if explicit:
        return Path(explicit)
    if os.environ.get("KAXL_CONFIG"):
        return Path(os.environ["KAXL_CONFIG"])
    here = Path.cwd() / DEFAULT_CONFIG_NAME
    return here if here.exists() else None


def load_config(path: str | os.PathLike[str] | None = None) -> DigestConfig:
    """Read kaxl.toml (or return the defaults when there is none)."""
    if path is None:
        return DigestConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到配置文件 {path}", f"config file {path} not found", file=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}", f"config file {path} is not valid TOML: {exc}",
                          file=str(path)) from exc
    return config_from_dict(data, base=path.parent, source=path)


def config_from_dict(data: Mapping[str, Any], *, base: Path | None = None, source: Path | None = None) -> DigestConfig:
    """Build the config from parsed TOML; relative paths are taken from ``base``."""
    base = base or Path.cwd()
    smtp_data = dict(data.get("smtp", {}))
    if "password" in smtp_data or "password" in data:
        raise ConfigError(
            "kaxl.toml 不能保存 SMTP 密码：请删除 password，改用 password_env 指定的环境变量",
            "kaxl.toml must not hold the SMTP password: remove 'password' and set the environment variable "
            "named by password_env instead", file=str(source) if source else None)
    digest = dict(data.get("digest", {}))
    sender = dict(data.get("sender", {}))

    def path(value: Any) -> Path:
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else base / p

    defaults = DigestConfig()
    try:
        smtp = SmtpConfig(**smtp_data)
        schedule = ScheduleConfig(**dict(data.get("schedule", {})))
    except TypeError as exc:
        raise ConfigError(f"配置文件中有未知的设置：{exc}", f"unknown setting in the config: {exc}") from exc
    config = DigestConfig(
        ledgers=tuple(path(p) for p in data.get("ledgers", ())),
        sender_name=str(sender.get("name", defaults.sender_name)),
        sender_email=str(sender.get("email", defaults.sender_email)),
        reply_to=sender.get("reply_to") or None,
        language=str(digest.get("language", defaults.language)),
        attach_summary=bool(digest.get("attach_summary", defaults.attach_summary)),
        max_items=int(digest.get("max_items", defaults.max_items)),
        state_file=path(digest.get("state_file", defaults.state_file)),
        out_dir=path(digest.get("out_dir", defaults.out_dir)),
        smtp=replace(smtp, cafile=str(path(smtp.cafile)) if smtp.cafile else None),
        schedule=schedule,
        channels=channels_from(data, source),
        source=source,
    )
    _validate(config)
    return config


def channels_from(data: Mapping[str, Any], source: Path | None = None) -> tuple[ChannelConfig, ...]:
    """The ``[[channel]]`` tables, checked one by one (bilingual errors naming the table)."""
    where = str(source) if source else None
    for key in SECRET_KEYS:
        if data.get(key):
            raise _secret_error(key, "kaxl.toml", where)
    tables = data.get("channel", [])
    if isinstance(tables, Mapping):
        tables = [tables]
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise ConfigError("channel 应写成 [[channel]] 表", "'channel' must be written as [[channel]] tables", file=where)
    out: list[ChannelConfig] = []
    for number, table in enumerate(tables, 1):
        label = f"[[channel]] #{number}"
        for key in SECRET_KEYS:
            if table.get(key):
                raise _secret_error(key, label, where)
        unknown = sorted(set(table) - set(CHANNEL_KEYS))
        if unknown:
            raise ConfigError(f"{label} 有未知的设置：{'、'.join(unknown)}（可用：{', '.join(CHANNEL_KEYS)}）",
                              f"{label} has unknown settings: {', '.join(unknown)} (known: {', '.join(CHANNEL_KEYS)})",
                              file=where)
        channel = ChannelConfig(
            kind=str(table.get("kind", "")).strip().lower(), audience=_audience(table.get("audience")),
            url_env=str(table.get("url_env", "")).strip(),
            secret_env=str(table["secret_env"]).strip() if table.get("secret_env") else None,
            keyword=str(table["keyword"]).strip() if table.get("keyword") else None)
        problems = channel_problems(channel)
        if problems:
            raise ConfigError(f"{label}：" + "；".join(p[0] for p in problems),
                              f"{label}: " + "; ".join(p[1] for p in problems), file=where)
        if any(c.key == channel.key for c in out):
            raise ConfigError(f"{label} 与前面的频道重复：{channel.key}",
                              f"{label} repeats an earlier channel: {channel.key}", file=where)
        out.append(channel)
    return tuple(out)


def channel_problems(channel: ChannelConfig) -> list[tuple[str, str]]:
    """What is wrong with one channel's own settings (zh, en); the environment is checked later."""
    problems: list[tuple[str, str]] = []
    if channel.kind not in CHANNEL_KINDS:
        problems.append((f"kind 应为 {'/'.join(CHANNEL_KINDS)}，而不是 “{channel.kind}”",
                         f"kind must be one of {', '.join(CHANNEL_KINDS)}, not {channel.kind!r}"))
    kind, _, name = channel.audience.partition(":")
    if not ((kind == "management" and not name) or (kind in ("team", "person") and name.strip())):
        problems.append((f"audience 应为 management、team:销售总监姓名 或 person:通讯录姓名，而不是 “{channel.audience}”",
                         f"audience must be management, team:<sales director> or person:<name in contacts>, "
                         f"not {channel.audience!r}"))
    for setting, value in (("url_env", channel.url_env), ("secret_env", channel.secret_env)):
        if value is None:
            continue
        if not _ENV_NAME.match(value):
            problems.append((f"{setting} 应为环境变量名（如 KAXL_DT_EAST_URL），而不是 “{value}”；地址和密钥不能写在文件里",
                             f"{setting} must name an environment variable (e.g. KAXL_DT_EAST_URL), not {value!r}; "
                             f"URLs and secrets never go in the file"))
    if channel.kind == "wecom" and channel.secret_env:
        problems.append(("企业微信群机器人不支持加签：请删除 secret_env",
                         "WeCom group robots have no signing: remove secret_env"))
    return problems


def _audience(value: Any) -> str:
    kind, sep, name = str(value or "").strip().partition(":")
    return f"{kind.strip().lower()}{sep}{name.strip()}"


def _secret_error(key: str, where_label: str, source: str | None) -> ConfigError:
    return ConfigError(
        f"{where_label} 不能保存 {key}：webhook 地址和密钥须放在环境变量中，文件里只写 url_env / secret_env",
        f"{where_label} must not hold '{key}': webhook URLs and secrets go in environment variables; "
        f"the file names them with url_env / secret_env", file=source)


def _validate(config: DigestConfig) -> None:
    problems: list[tuple[str, str]] = []
    if config.smtp.security not in SECURITY_MODES:
        problems.append((f"smtp.security 应为 {'/'.join(SECURITY_MODES)}，而不是 {config.smtp.security}",
                         f"smtp.security must be one of {', '.join(SECURITY_MODES)}, not {config.smtp.security!r}"))
    if config.language not in LANGUAGES:
        problems.append((f"digest.language 应为 {'/'.join(LANGUAGES)}，而不是 {config.language}",
                         f"digest.language must be one of {', '.join(LANGUAGES)}, not {config.language!r}"))
    if config.schedule.weekday.strip().lower() not in WEEKDAYS:
        problems.append((f"schedule.weekday 应为 monday…sunday，而不是 {config.schedule.weekday}",
                         f"schedule.weekday must be monday…sunday, not {config.schedule.weekday!r}"))
    try:
        config.schedule.clock_time  # noqa: B018 - validates "HH:MM"
    except ValueError:
        problems.append((f"schedule.time 应为 HH:MM，而不是 {config.schedule.time}",
                         f"schedule.time must be HH:MM, not {config.schedule.time!r}"))
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(config.schedule.timezone)
    except Exception:  # noqa: BLE001 - any failure means the zone is unusable
        problems.append((f"schedule.timezone 不是有效时区：{config.schedule.timezone}",
                         f"schedule.timezone is not a known time zone: {config.schedule.timezone!r}"))
    if "@" not in config.sender_email:
        problems.append((f"sender.email 不是有效邮箱：{config.sender_email}",
                         f"sender.email is not an e-mail address: {config.sender_email!r}"))
    if problems:
        raise ConfigError("；".join(p[0] for p in problems), "; ".join(p[1] for p in problems),
                          file=str(config.source) if config.source else None)
