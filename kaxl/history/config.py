"""Where the history store is, if anywhere (SPEC §8): ``--history`` or ``history`` in kaxl.toml.

"Configured" means: ``--history PATH|URL`` is given, or kaxl.toml (``--config``, else
$KAXL_CONFIG, else ./kaxl.toml) has a top-level ``history`` key. ``history = true`` (or ``""``)
is ``kaxl-history.sqlite`` beside the config file; a string is a file path (relative to the
config's folder), a PostgreSQL URL without a password, or ``env:NAME`` (the whole URL from the
environment variable NAME); ``history = false`` turns it off. Without either, check, summary and
digest keep no history and import nothing of the store (no SQLAlchemy, no Alembic): the Excel
buttons and a plain ``kaxl check`` stay as light as before.

Only this module is imported on that path; it reads the toml itself rather than through the
digest's config (which validates SMTP settings ``kaxl check`` does not need).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from kaxl.digest.config import find_config  # one way to find kaxl.toml, the digest's
from kaxl.errors import KaxlError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_STORE_NAME = "kaxl-history.sqlite"


@dataclass(frozen=True)
class StoreChoice:
    """A configured store: the value as written, the folder a relative path is taken from, and
    where it was configured (for messages)."""

    value: str
    base: Path
    source: str  # "--history" or the kaxl.toml path


def store_choice(option: str | None, config_path: str | os.PathLike[str] | None = None, *,
                 default: bool = False) -> StoreChoice | None:
    """The store a command uses, or None when no store is configured.

    ``default=True`` (``kaxl snapshot``, whose whole job is the store): without any setting,
    ``kaxl-history.sqlite`` beside kaxl.toml, else in the current folder.
    """
    if option is not None and option.strip():
        return StoreChoice(option.strip(), Path.cwd(), "--history")
    config = find_config(config_path)
    if config is not None:
        value = _toml_history(config)
        if value is False:
            return None
        if value is True or value == "":
            return StoreChoice(DEFAULT_STORE_NAME, config.parent.resolve(), str(config))
        if isinstance(value, str):
            return StoreChoice(value, config.parent.resolve(), str(config))
    if default:
        base = config.parent.resolve() if config is not None else Path.cwd()
        return StoreChoice(DEFAULT_STORE_NAME, base, str(config) if config else "default")
    return None


def _toml_history(config: Path) -> str | bool | None:
    """The ``history`` key of kaxl.toml (None when absent)."""
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KaxlError(f"找不到配置文件 {config}", f"config file {config} not found", file=str(config)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise KaxlError(f"配置文件 {config} 格式错误：{exc}", f"config file {config} is not valid TOML: {exc}",
                        file=str(config)) from exc
    if "history" not in data:
        return None
    value = data["history"]
    if isinstance(value, (bool, str)):
        return value.strip() if isinstance(value, str) else value
    raise KaxlError(
        f"{config} 中的 history 应为文件路径、PostgreSQL 地址、env:变量名、true 或 false",
        f"'history' in {config} must be a file path, a PostgreSQL URL, env:NAME, true or false", file=str(config))
