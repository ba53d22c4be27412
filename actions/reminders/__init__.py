"""Daily reminder digests: who is due, what each digest lists, and sending each exactly once.

`planning` works out who is due at a moment and with what (it only reads), `digest` is what
one person's digest holds and how it reads, `sending` claims, sends and records them.
"""

from actions.reminders.digest import Digest
from actions.reminders.planning import reminders_plan
from actions.reminders.sending import reminder_sweeps_late, reminders_send

__all__ = ["Digest", "reminder_sweeps_late", "reminders_plan", "reminders_send"]
