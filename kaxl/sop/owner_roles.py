"""The role of a finding's owner: the person's own role in 通讯录 Contacts, where they have one.

A rule names the desk that owns its fix (ISS-001: the AM), but the person who owns it may sit at
another desk: an issue's 责任人 is often the CS (SPEC §7), and a blank delivery_manager cell hands
a DEL finding to the AM. ``owner_role`` is the role of the owner (SPEC §5), so it follows the
person's contacts role when that is one of the five owner roles; otherwise (not in Contacts, no
role, or 销售总监/管理层, who are not owner roles) it stays the rule's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaxl.contract.columns import ROLE_COLUMNS

if TYPE_CHECKING:
    from kaxl.reading.ledger import Ledger

OWNER_ROLES = frozenset(ROLE_COLUMNS)  # AM PS CO DM CS


def contact_roles(ledger: Ledger) -> dict[str, str]:
    """name → role key for every person in Contacts with a name and a role (first row of a name)."""
    frame = ledger.frames.get("contacts")
    if frame is None or frame.empty or "role" not in frame.columns:
        return {}
    named = frame[frame["name"].notna()].drop_duplicates("name")
    named = named[named["role"].notna()]
    return {str(name): str(role) for name, role in zip(named["name"], named["role"])}


def owner_role(rule_role: str | None, owner: str | None, roles: dict[str, str]) -> str | None:
    """The owner's contacts role when it is an owner role, else the rule's role."""
    own = roles.get(owner) if owner else None
    return own if own in OWNER_ROLES else rule_role
