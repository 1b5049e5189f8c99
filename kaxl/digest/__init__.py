"""The weekly e-mail digest (SPEC §5): who gets what, rendered for Outlook, sent once a week.

Library entry points (the CLI commands ``digest`` and ``schedule`` are thin wrappers):

- :func:`plan` — the per-recipient content of a check result (pure);
- :func:`write_previews` — each recipient's .eml and .html into a folder (no network);
- :func:`send_digests` — send, idempotent per ISO week and recipient (state file + lock);
- :func:`run_if_due` / :func:`poll_once` / :func:`run_forever` — the scheduled forms.

Every function that needs the time takes ``now: Callable[[], datetime]``.
"""

from kaxl.digest.config import DigestConfig, load_config
from kaxl.digest.outbox import SendReport, build_outbox, send_digests, write_previews
from kaxl.digest.recipients import Digest, iso_week, plan
from kaxl.digest.schedule import due_week, last_slot, poll_once, run_forever, run_if_due

__all__ = [
    "Digest", "DigestConfig", "SendReport", "build_outbox", "due_week", "iso_week", "last_slot", "load_config",
    "plan", "poll_once", "run_forever", "run_if_due", "send_digests", "write_previews",
]
