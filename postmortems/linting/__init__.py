"""Blameless-language linter for postmortems: plain Python, no Django."""

from .linter import Finding, Term, lint, lint_action_item, utf16_offset
