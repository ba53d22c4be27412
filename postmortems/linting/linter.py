"""lint() and lint_action_item(): rule hits turned into findings, minus suppressed ones."""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .matching import Hit, scan
from .rewrite import rewrite_sentence
from .ruleset import Rule, RuleSet, default_rules
from .subjects import people_words

ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")
SUPPRESS_RE = re.compile(r"<!--\s*blamelint:\s*(ignore-start|ignore-end|ignore)\s*-->", re.I)


@dataclass(frozen=True)
class Term:
    """An admin-added phrase flagged wherever it appears."""

    phrase: str
    message: str
    suggestion: str | None = None
    severity: str = "warning"


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    line: int
    column: int
    rule: str
    category: str
    severity: str
    message: str
    suggestion: str | None
    text: str
    # The sentence at [rewrite_start, rewrite_end) rewritten without the blame, when the
    # pattern is a common one the linter knows how to reword.
    rewrite: str | None = None
    rewrite_start: int | None = None
    rewrite_end: int | None = None

    def to_dict(self, utf16_text: str | None = None) -> dict:
        """The finding as JSON-ready data; offsets in UTF-16 code units when given the text."""
        data = asdict(self)
        if utf16_text is not None:
            line_start = self.start - (self.column - 1)
            data["start"] = utf16_offset(utf16_text, self.start)
            data["end"] = utf16_offset(utf16_text, self.end)
            data["column"] = data["start"] - utf16_offset(utf16_text, line_start) + 1
            if self.rewrite is not None:
                data["rewrite_start"] = utf16_offset(utf16_text, self.rewrite_start)
                data["rewrite_end"] = utf16_offset(utf16_text, self.rewrite_end)
        return data


@functools.lru_cache(maxsize=16)
def _astral_positions(text: str) -> tuple[int, ...]:
    return tuple(match.start() for match in ASTRAL_RE.finditer(text))


def utf16_offset(text: str, index: int) -> int:
    """The UTF-16 code-unit offset (what JavaScript counts) of code-point `index` in `text`."""
    if text.isascii():
        return index
    return index + bisect.bisect_left(_astral_positions(text), index)


# --- rule sets --------------------------------------------------------------------------------


@functools.cache
def _prose_rules() -> RuleSet:
    return RuleSet.of(rule for rule in default_rules().rules if rule.category != "actionability")


@functools.lru_cache(maxsize=64)
def _custom_regex(phrase: str) -> re.Pattern[str]:
    words = (re.escape(word) for word in phrase.split())
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def _custom_rule(term: Term) -> Rule:
    slug = re.sub(r"\W+", "-", term.phrase.lower()).strip("-")
    return Rule(
        id=f"custom.{slug}",
        category="custom",
        severity=term.severity,
        message=term.message,
        suggestion=term.suggestion,
        regex=_custom_regex(term.phrase),
        triggers=frozenset(),
    )


def _custom_hits(text: str, terms: Iterable[Term]) -> list[Hit]:
    hits = []
    for term in terms:
        if term.phrase.strip():
            rule = _custom_rule(term)
            hits.extend(
                Hit(m.start(), m.end(), rule, rule.severity) for m in rule.regex.finditer(text)
            )
    return hits


# --- suppression ------------------------------------------------------------------------------


def _suppressed_spans(text: str) -> list[tuple[int, int]]:
    """Spans of text whose findings are dropped: ignore comments and what they cover."""
    if "blamelint" not in text:
        return []
    spans = []
    open_at: int | None = None
    for match in SUPPRESS_RE.finditer(text):
        spans.append(match.span())
        kind = match.group(1).lower()
        if kind == "ignore-start":
            open_at = match.end() if open_at is None else open_at
        elif kind == "ignore-end":
            if open_at is not None:
                spans.append((open_at, match.start()))
                open_at = None
        else:
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            line_end = len(text) if line_end == -1 else line_end
            own_line = not (text[line_start : match.start()] + text[match.end() : line_end]).strip()
            if own_line:
                block_end = re.compile(r"\n[ \t]*\n").search(text, line_end)
                spans.append((line_end, block_end.start() if block_end else len(text)))
            else:
                spans.append((line_start, line_end))
    if open_at is not None:
        spans.append((open_at, len(text)))
    return spans


def _allowed_spans(text: str, allowed_terms: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for phrase in allowed_terms:
        if phrase.strip():
            spans.extend(match.span() for match in _custom_regex(phrase).finditer(text))
    return spans


class Spans:
    """Spans of text, asked whether any overlaps a hit. A long document has thousands of
    findings: testing each against every warning would grow with their square."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        spans = sorted(spans)
        self.starts = [start for start, _ in spans]
        # The furthest end among the spans up to each one.
        self.reach = list(itertools.accumulate((end for _, end in spans), max))

    def overlap(self, hit: Hit) -> bool:
        before = bisect.bisect_left(self.starts, hit.end)
        return before > 0 and self.reach[before - 1] > hit.start


# --- findings ---------------------------------------------------------------------------------


def _rewrite(text: str, hit: Hit) -> tuple[str, int, int] | None:
    if not hit.rule.rewrite or hit.severity != "warning":
        return None
    start, end = hit.sentence
    sentence = text[start:end].rstrip()
    groups = {name: (a - start, b - start) for name, a, b in hit.groups}
    rewritten = rewrite_sentence(
        hit.rule.rewrite, sentence, (hit.start - start, hit.end - start), groups
    )
    if not rewritten or rewritten == sentence:
        return None
    return rewritten, start, start + len(sentence)


def _kept(hits: list[Hit], dropped: Spans) -> list[Hit]:
    """One finding per span and rule; no hint where a warning covers the same words; and
    one single-root-cause hint per document, since repeating it teaches nothing."""
    hits = sorted(
        {
            (hit.start, hit.end, hit.rule.id): hit for hit in hits if not dropped.overlap(hit)
        }.values(),
        key=lambda hit: (hit.start, hit.end, hit.rule.id),
    )
    warnings = Spans((hit.start, hit.end) for hit in hits if hit.severity == "warning")
    kept = []
    root_cause_seen = False
    for hit in hits:
        if hit.severity != "warning" and warnings.overlap(hit):
            continue
        if hit.rule.category == "root-cause":
            if root_cause_seen:
                continue
            root_cause_seen = True
        kept.append(hit)
    return kept


def _findings(text: str, hits: list[Hit], dropped: Spans) -> list[Finding]:
    hits = _kept(hits, dropped)
    if not hits:
        return []
    line_starts = [0]
    position = text.find("\n")
    while position != -1:
        line_starts.append(position + 1)
        position = text.find("\n", position + 1)
    findings = []
    for hit in hits:
        line = bisect.bisect_right(line_starts, hit.start)
        rewrite = _rewrite(text, hit)
        findings.append(
            Finding(
                start=hit.start,
                end=hit.end,
                line=line,
                column=hit.start - line_starts[line - 1] + 1,
                rule=hit.rule.id,
                category=hit.rule.category,
                severity=hit.severity,
                message=hit.rule.message,
                suggestion=hit.rule.suggestion,
                text=text[hit.start : hit.end],
                rewrite=rewrite[0] if rewrite else None,
                rewrite_start=rewrite[1] if rewrite else None,
                rewrite_end=rewrite[2] if rewrite else None,
            )
        )
    return findings


def lint(
    text: str,
    *,
    people: Iterable[str] = (),
    extra_terms: Iterable[Term] = (),
    allowed_terms: Iterable[str] = (),
    rules: RuleSet | None = None,
) -> list[Finding]:
    """Blameful-language findings in postmortem prose (or by `rules`), sorted by start offset."""
    hits = scan(text, _prose_rules() if rules is None else rules, people_words(people))
    hits.extend(_custom_hits(text, extra_terms))
    if not hits:
        return []
    dropped = Spans(_suppressed_spans(text) + _allowed_spans(text, allowed_terms))
    return _findings(text, hits, dropped)


def lint_action_item(text: str, **vocabulary: Iterable) -> list[Finding]:
    """Findings for an action-item title: vague, unverifiable items plus blameful language."""
    return lint(text, rules=default_rules(), **vocabulary)
