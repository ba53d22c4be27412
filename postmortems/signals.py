"""Signals for the apps above postmortems, which this app may not import."""

from django.dispatch import Signal

# Sent with `postmortem` after its text changed (`Postmortem.mark_text_changed`).
text_changed = Signal()
