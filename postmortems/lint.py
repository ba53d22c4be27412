"""The blameless linter applied to this site: its people, its terms, its postmortems."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import capfirst

from postmortems.linting import Finding, Term, lint, lint_action_item
from postmortems.linting.subjects import people_words
from postmortems.models import NARRATIVE_SECTIONS, LintAcknowledgement, LintTerm, Postmortem
from postmortems.services import PAGE_EVENTS

MAX_LINT_CHARS = 200_000


@dataclass(frozen=True)
class SiteVocabulary:
    people: frozenset[str]
    extra_terms: list[Term]
    allowed_terms: list[str]


def site_vocabulary() -> SiteVocabulary:
    """Names of the site's users and the terms admins added (two small queries)."""
    people = people_words(
        name
        for row in get_user_model()
        .objects.filter(is_active=True)
        .values_list("first_name", "last_name", "username")
        for name in row
        if name
    )
    extra, allowed = [], []
    for term in LintTerm.objects.all():
        if term.kind == LintTerm.Kind.ALLOW:
            allowed.append(term.phrase)
        else:
            extra.append(Term(term.phrase, term.message, term.suggestion or None, term.severity))
    return SiteVocabulary(people, extra, allowed)


def lint_text(text: str, *, action_item: bool = False, vocabulary: SiteVocabulary | None = None):
    vocabulary = vocabulary or site_vocabulary()
    check = lint_action_item if action_item else lint
    return check(
        text,
        people=vocabulary.people,
        extra_terms=vocabulary.extra_terms,
        allowed_terms=vocabulary.allowed_terms,
    )


@dataclass
class LocatedFinding:
    location: str  # a stable key of the text: "summary", "event:12", "action:3:title"…
    label: str  # what a person calls that place
    anchor: str  # where it is on the postmortem page
    finding: Finding
    acknowledgement: LintAcknowledgement | None = None

    @property
    def is_blocking(self) -> bool:
        return self.finding.severity == "warning" and self.acknowledgement is None


def _texts(postmortem: Postmortem):
    """Every narrative text of a postmortem: (location, label, anchor, text, is_action_title)."""
    for field, section in NARRATIVE_SECTIONS.items():
        label = capfirst(Postmortem._meta.get_field(field).verbose_name)
        yield field, label, f"#section-{section}", getattr(postmortem, field), False
    # Values rather than rows: a long timeline is thousands of texts, and the page draws only
    # its first events (an anchor past them opens the whole timeline).
    events = postmortem.events.values_list("pk", "occurred_at", "description")
    tz, whole_timeline = postmortem.tz, f"{postmortem.get_absolute_url()}?all_events=1"
    for position, (pk, occurred_at, description) in enumerate(events):
        moment = timezone.localtime(occurred_at, tz).strftime("%H:%M")
        anchor = f"#event-{pk}" if position < PAGE_EVENTS else f"{whole_timeline}#event-{pk}"
        yield f"event:{pk}", f"Timeline, {moment}", anchor, description, False
    for factor in postmortem.factors.all():
        label = f"Contributing factor ({factor.get_category_display()})"
        yield f"factor:{factor.pk}", label, f"#factor-{factor.pk}", factor.description, False
    for pk, title, description in postmortem.action_items.values_list("pk", "title", "description"):
        anchor = f"#action-item-{pk}"
        yield f"action:{pk}:title", f"Action item “{title}”", anchor, title, True
        yield f"action:{pk}", f"Action item “{title}”", anchor, description, False


def postmortem_findings(postmortem: Postmortem) -> list[LocatedFinding]:
    vocabulary = site_vocabulary()
    acknowledgements = {
        (a.location, a.rule, a.text.lower()): a for a in postmortem.lint_acknowledgements.all()
    }
    located = []
    for location, label, anchor, text, is_title in _texts(postmortem):
        if not text:
            continue
        for finding in lint_text(text, action_item=is_title, vocabulary=vocabulary):
            key = (location, finding.rule, finding.text.lower()[:200])
            located.append(
                LocatedFinding(location, label, anchor, finding, acknowledgements.get(key))
            )
    return located


@dataclass
class LintSummary:
    findings: list[LocatedFinding]

    @property
    def blocking(self) -> list[LocatedFinding]:
        return [f for f in self.findings if f.is_blocking]

    @property
    def acknowledged(self) -> list[LocatedFinding]:
        return [f for f in self.findings if f.acknowledgement]

    @property
    def hints(self) -> list[LocatedFinding]:
        return [f for f in self.findings if f.finding.severity != "warning"]

    def by_category(self) -> list[tuple[str, int]]:
        counts = Counter(item.finding.category for item in self.blocking)
        return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


def postmortem_lint_summary(postmortem: Postmortem) -> LintSummary:
    return LintSummary(postmortem_findings(postmortem))


def finding_acknowledge(
    *, postmortem: Postmortem, location: str, rule: str, text: str, reason: str, by
) -> LintAcknowledgement:
    acknowledgement, _ = LintAcknowledgement.objects.update_or_create(
        postmortem=postmortem,
        location=location,
        rule=rule,
        text=text[:200],
        defaults={"reason": reason, "acknowledged_by": by},
    )
    return acknowledgement
