"""The review quality score: a deterministic, explained score per postmortem.

Each check passes or not; the score is the share of the weight of the checks passed (weights
set by admins in QualityWeights), from 0 to 100. Every check that fails says what is missing
and links to where on the postmortem's page to fix it. The README's "Review quality score"
defines each check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from postmortems.lint import LintSummary, postmortem_lint_summary
from postmortems.models import Postmortem, QualityWeights
from postmortems.models.quality import CHECK_NAMES

# A number written in digits: "38%", "1,200 requests", "45 minutes", "€3.5k".
NUMBER = re.compile(r"\d")
# Fewer words than this in an action item's title cannot say what changes and where.
MIN_ACTION_WORDS = 3


@dataclass(frozen=True)
class Check:
    name: str
    label: str
    weight: int
    passed: bool
    missing: str = ""  # what to do, when it did not pass
    anchor: str = ""  # where on the postmortem's page to do it


@dataclass(frozen=True)
class QualityScore:
    checks: list[Check]

    @property
    def score(self) -> int | None:
        """0 to 100, rounded half up; None when admins gave every check a weight of 0."""
        total = sum(check.weight for check in self.checks)
        if not total:
            return None
        passed = sum(check.weight for check in self.checks if check.passed)
        return (200 * passed + total) // (2 * total)

    @property
    def missing(self) -> list[Check]:
        return [check for check in self.checks if not check.passed and check.weight]


def _timeline_sources(pm: Postmortem, lint: LintSummary) -> tuple[str, str]:
    events = list(pm.events.values_list("pk", "source_url"))
    if not events:
        return "Add the timeline, each event with its source link.", "#timeline"
    unsourced = [pk for pk, url in events if not url.strip()]
    if unsourced:
        count = len(unsourced)
        return (
            f"Add a source link to {count} of {len(events)} timeline "
            f"event{'s' * (len(events) > 1)}.",
            f"#event-{unsourced[0]}",
        )
    return "", ""


def _two_factors(pm: Postmortem, lint: LintSummary) -> tuple[str, str]:
    count = len(pm.factors.all())
    if count < 2:
        return f"Add {2 - count} more contributing factor{'s' * (count == 0)}.", "#factors"
    return "", ""


def _impact_quantified(pm: Postmortem, lint: LintSummary) -> tuple[str, str]:
    if pm.is_near_miss:
        if NUMBER.search(pm.could_have_happened):
            return "", ""
        return "Put numbers in what could have happened.", "#section-impact"
    numbers = (pm.customers_affected, pm.failed_requests, pm.support_tickets)
    if any(n is not None for n in numbers) or NUMBER.search(pm.impact):
        return "", ""
    return (
        "Quantify the impact: customers, failed requests or support tickets, or numbers in "
        "the impact statement.",
        "#section-impact",
    )


def _lessons_written(pm: Postmortem, lint: LintSummary) -> tuple[str, str]:
    unwritten = [
        label
        for label, text in [("what went well", pm.went_well), ("where we got lucky", pm.got_lucky)]
        if not text.strip()
    ]
    if unwritten:
        return f"Write {' and '.join(unwritten)}.", "#section-lessons"
    return "", ""


def _actions_specific(pm: Postmortem, lint: LintSummary) -> tuple[str, str]:
    items = list(pm.action_items.all())
    if not items:
        if pm.no_actions_reason.strip():
            return "", ""
        return "Add action items, or record why none is needed.", "#action-items"
    vague = {
        item.location.split(":")[1]
        for item in lint.findings
        if item.location.endswith(":title") and item.finding.category == "actionability"
    }
    for item in items:
        problems = []
        if len(item.title.split()) < MIN_ACTION_WORDS or str(item.pk) in vague:
            problems.append("say what changes, where")
        if item.owner_id is None:
            problems.append("have an owner")
        if item.due_date is None:
            problems.append("have a due date")
        if problems:
            return f"Action item “{item.title}” should {' and '.join(problems)}.", (
                f"#action-item-{item.pk}"
            )
    return "", ""


def _lint_clean(pm: Postmortem, lint: LintSummary) -> tuple[str, str]:
    if blocking := lint.blocking:
        count = len(blocking)
        return f"Reword or acknowledge {count} blameless-check warning{'s' * (count > 1)}.", "#lint"
    return "", ""


def _outside_reviewer(pm: Postmortem, lint: LintSummary) -> tuple[str, str]:
    if pm.team_id is None:
        return "Set the owning team, then ask someone outside it to review.", "#section-details"
    # Reviewers are the reviews app's rows, reached through their reverse relation.
    members = pm.team.group.user_set.values("pk")
    if pm.reviewers.exclude(user__in=members).exists():
        return "", ""
    return f"Ask someone outside {pm.team} to review.", "#review"


RULES: dict[str, Callable[[Postmortem, LintSummary], tuple[str, str]]] = {
    "timeline_sources": _timeline_sources,
    "two_factors": _two_factors,
    "impact_quantified": _impact_quantified,
    "lessons_written": _lessons_written,
    "actions_specific": _actions_specific,
    "lint_clean": _lint_clean,
    "outside_reviewer": _outside_reviewer,
}
assert tuple(RULES) == CHECK_NAMES


def postmortem_quality(
    postmortem: Postmortem,
    *,
    lint: LintSummary | None = None,
    weights: dict[str, int] | None = None,
) -> QualityScore:
    """Its score and each check. Pass the lint summary when the page has it already."""
    lint = lint or postmortem_lint_summary(postmortem)
    weights = weights if weights is not None else QualityWeights.current().as_dict()
    checks = []
    for name, rule in RULES.items():
        missing, anchor = rule(postmortem, lint)
        weight = weights.get(name, 0)
        checks.append(Check(name, QualityWeights.label(name), weight, not missing, missing, anchor))
    return QualityScore(checks)


def quality_refresh(postmortem: Postmortem, quality: QualityScore) -> None:
    """Keep the score just computed for the metrics' trend, when it moved."""
    if postmortem.quality_score != quality.score:
        # An update: the score is derived, not an edit (no history entry, no "updated").
        Postmortem.objects.filter(pk=postmortem.pk).update(quality_score=quality.score)
        postmortem.quality_score = quality.score


def quality_score_unscored(*, every: bool = False) -> int:
    """Score the postmortems that have no score yet (all of them with `every`), as opening each
    page would: the metrics' trend then covers postmortems nobody has opened. Returns how many."""
    postmortems = (
        Postmortem.objects.all() if every else Postmortem.objects.filter(quality_score__isnull=True)
    )
    weights = QualityWeights.current().as_dict()
    count = 0
    for postmortem in postmortems.order_by("pk").iterator(chunk_size=200):
        quality_refresh(postmortem, postmortem_quality(postmortem, weights=weights))
        count += 1
    return count
