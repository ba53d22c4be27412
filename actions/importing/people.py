"""Matching the people named in imported text to people on the site."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class People:
    """Every active person, indexed by username, email and full name (one query)."""

    def __init__(self) -> None:
        self.index: dict[str, set] = {}
        users = get_user_model().objects.filter(is_active=True)
        for user in users.only("pk", "username", "email", "first_name", "last_name"):
            for key in (user.username, user.email, user.get_full_name()):
                if key:
                    self.index.setdefault(key.strip().lower(), set()).add(user)

    def match(self, written: str):
        """(the person, "") or (None, why not) for a name, username or email as written."""
        written = written.strip().strip("@").strip()
        if not written:
            return None, "no one is named"
        email = EMAIL.search(written)
        keys = [email.group(0)] if email else []
        keys += [written, re.sub(r"\s*<[^>]*>\s*", "", written), written.split("@")[0]]
        for key in keys:
            found = self.index.get(key.strip().lower())
            if found and len(found) == 1:
                return next(iter(found)), ""
            if found:
                return None, f"“{written}” matches {len(found)} people"
        return None, f"“{written}” is no one on the site"
