"""The outside version of a postmortem: people named by their roles, internal links and
chosen sections removed, the linter run over what is left."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import capfirst

from postmortems.lint import lint_text, site_vocabulary
from postmortems.models import NARRATIVE_SECTIONS, OUTSIDE_SECTIONS, ExternalVersion, Postmortem

LINK_REMOVED = "(internal link removed)"
# Someone the site knows who has no part in this postmortem.
SOMEONE = "a colleague"

MARKDOWN_LINK = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
LINK_DEFINITION = re.compile(
    r"^[ ]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t]+.*)?(?:\n|$)", re.MULTILINE
)
BARE_URL = re.compile(r"<?\b(?:https?|ftp)://[^\s<>\"')\]]+>?", re.IGNORECASE)


def is_internal(url: str) -> bool:
    """Links to this site, to the hosts in INTERNAL_HOSTS (and their subdomains), to private or
    local addresses, to single-label hosts (intranet names) and relative links."""
    url = url.strip().strip("<>")
    if url.startswith("mailto:"):
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not parts.scheme and not host:
        return not url.startswith("#")  # a relative link is to this site; an anchor is local
    if not host or "." not in host:
        return True
    own = (urlsplit(settings.SITE_URL).hostname or "").lower()
    internal = {own, *(h.lower().lstrip(".") for h in settings.INTERNAL_HOSTS)}
    if any(host == h or host.endswith("." + h) for h in internal if h):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def remove_internal_links(text: str) -> str:
    def link(match: re.Match) -> str:
        image, label, url = match.groups()
        if not is_internal(url):
            return match.group(0)
        if image:  # an internal image would not load outside anyway
            return f"({label})" if label else ""
        return label or LINK_REMOVED

    text = MARKDOWN_LINK.sub(link, text or "")
    text = LINK_DEFINITION.sub(lambda m: "" if is_internal(m.group(1)) else m.group(0), text)
    return BARE_URL.sub(lambda m: LINK_REMOVED if is_internal(m.group(0)) else m.group(0), text)


@dataclass
class Roles:
    """Who is who in one postmortem, as the outside reads it: names to roles."""

    by_user: dict[int, str]
    pattern: re.Pattern | None
    names: dict[str, str]  # a name or username, lowercased, to its replacement

    def user(self, user_id: int | None) -> str:
        return self.by_user.get(user_id, SOMEONE) if user_id else ""

    def replace(self, text: str) -> str:
        if not text or self.pattern is None:
            return text or ""

        def role(match: re.Match) -> str:
            found = match.group(0).lower()
            return self.names.get(found) or self.names[found.lstrip("@")]

        return self.pattern.sub(role, text)


def roles_of(postmortem: Postmortem) -> Roles:
    by_user: dict[int, str] = {postmortem.owner_id: "Incident owner"}

    def number(ids: list[int], role: str, *, always: bool = False) -> None:
        ids = [pk for pk in dict.fromkeys(ids) if pk not in by_user]
        for position, pk in enumerate(ids, 1):
            by_user[pk] = role if len(ids) == 1 and not always else f"{role} {position}"

    number(list(postmortem.coauthors.values_list("pk", flat=True)), "Author")
    reviewers = apps.get_model("reviews", "Reviewer").objects.filter(postmortem=postmortem)
    number(list(reviewers.values_list("user_id", flat=True)), "Reviewer")
    interviews = list(postmortem.interviews.order_by("interviewed_at", "pk"))
    responders = [i.participant_id for i in interviews if i.participant_id]
    items = postmortem.action_items.exclude(owner=None).values_list("owner_id", flat=True)
    # Responders are numbered even alone: the free-text names below count on from them.
    number(responders + list(items), "Responder", always=True)
    names: dict[str, str] = {}
    free_names = [i.participant_name for i in interviews if not i.participant_id]
    position = sum(1 for role in by_user.values() if role.startswith("Responder"))
    for name in dict.fromkeys(n.strip() for n in free_names if n.strip()):
        position += 1
        names[name.lower()] = f"Responder {position}"
    people = get_user_model().objects.values_list("pk", "username", "first_name", "last_name")
    for pk, username, first, last in people:
        role = by_user.get(pk, SOMEONE)
        if pk in by_user:
            # The people of this postmortem by any of their names. First and last names alone
            # only for them: "May" or "Will" elsewhere is more often a word than a colleague.
            spellings = (username, f"{first} {last}".strip(), first, last)
        else:
            # Anyone else by their full name or @mention only: a username such as "deploy" or
            # "root" is also a word.
            spellings = (f"@{username}", f"{first} {last}" if first and last else "")
        for name in spellings:
            if len(name.lstrip("@")) > 2:
                names.setdefault(name.lower(), role)
    if not names:
        return Roles(by_user, None, names)
    # Longest first, in one pass: a replaced role is never replaced again.
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w@])@?(?:{alternatives})(?!\w)", re.IGNORECASE)
    return Roles(by_user, pattern, names)


def outside_content(postmortem: Postmortem, removed: list[str]) -> dict:
    """What the outside version says, redacted, as plain data kept on the version."""
    roles = roles_of(postmortem)

    def clean(text: str) -> str:
        return roles.replace(remove_internal_links(text))

    tz = postmortem.tz

    def local(moment) -> str:
        return timezone.localtime(moment, tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    content = {
        "title": clean(postmortem.title),
        "severity": postmortem.get_severity_display(),
        "time_zone": postmortem.time_zone,
        "key_times": [[label, local(moment)] for label, moment in postmortem.key_times()],
    }
    for text in ("summary", "impact"):
        if text not in removed:
            content[text] = clean(getattr(postmortem, text))
    if "timeline" not in removed:
        content["timeline"] = [
            {
                "at": local(event.occurred_at),
                "kind": event.get_kind_display(),
                "text": clean(event.description),
                "link": "" if is_internal(event.source_url or "/") else event.source_url,
            }
            for event in postmortem.events.all()
        ]
    if "factors" not in removed:
        content["factors"] = [
            {"category": f.get_category_display(), "text": clean(f.description)}
            for f in postmortem.factors.all()
        ]
    if "lessons" not in removed:
        content["lessons"] = [
            [capfirst(field.verbose_name), clean(field.value_from_object(postmortem))]
            for field in Postmortem._meta.fields
            if NARRATIVE_SECTIONS.get(field.name) == "lessons"
        ]
    if "action_items" not in removed:
        content["action_items"] = [
            {
                "title": clean(item.title),
                "owner": roles.user(item.owner_id),
                "status": item.get_status_display(),
            }
            for item in postmortem.action_items.all()
        ]
    return content


def outside_texts(content: dict):
    """Each text of an outside version: (where, text), for the linter."""
    for key in ("title", "summary", "impact"):
        if content.get(key):
            yield dict(OUTSIDE_SECTIONS).get(key, "Title"), content[key]
    for event in content.get("timeline", []):
        yield f"Timeline, {event['at']}", event["text"]
    for factor in content.get("factors", []):
        yield f"Contributing factor ({factor['category']})", factor["text"]
    yield from content.get("lessons", [])
    for item in content.get("action_items", []):
        yield "Action item", item["title"]


def outside_findings(version: ExternalVersion) -> list[tuple[str, object]]:
    """The linter's findings on the outside version, where each is."""
    vocabulary = site_vocabulary()
    return [
        (where, finding)
        for where, text in outside_texts(version.content)
        if text
        for finding in lint_text(text, vocabulary=vocabulary)
    ]


def external_version_build(*, version: ExternalVersion, removed: list[str]) -> ExternalVersion:
    """(Re)make a draft's text from the postmortem as it is now."""
    version.removed_sections = [key for key, _ in OUTSIDE_SECTIONS if key in removed]
    version.content = outside_content(version.postmortem, version.removed_sections)
    if version.pk:
        version.save(update_fields=["removed_sections", "content"])
    else:
        version.save()
    return version
