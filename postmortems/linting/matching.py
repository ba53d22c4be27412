"""Rule hits in a text: its prose cut into sentences, the rules whose trigger words a
sentence holds, and each rule's conditions checked on the match."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .masking import prose_only
from .ruleset import Rule, RuleSet
from .subjects import clause_subject_kind, is_participle, np_kind, subject_kind
from .vocabulary import TOKEN_RE, WORD_RE, belief_regex, third_party_regex

# A sentence ends at terminal punctuation plus whitespace, a blank line, or a new Markdown block.
SENTENCE_BREAK_RE = re.compile(
    r"[.!?][\"'”’)\]*_]*\s+|\n[ \t]*\n\s*|\n(?=[ \t]*(?:[-*+>#|]|\d+[.)])\s)"
)
MARKDOWN_LEAD_RE = re.compile(r"(?:\s|[>#*+|_-]|\d+[.)]\s)*")
# How far back conditions look for a subject or a negation; keeps long lines linear.
LOOKBACK = 300
SUBJECT_LOOKBACK = 160
# Longer "sentences" (a text without punctuation) are matched in windows of this size.
WINDOW = 2000


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    rule: Rule
    severity: str = "warning"
    # The sentence the hit is in and the spans of the pattern's named groups, for rewrites.
    sentence: tuple[int, int] = (0, 0)
    groups: tuple[tuple[str, int, int], ...] = ()


def _severity(
    rule: Rule, match: re.Match[str], sentence: str, lower: str, people: frozenset[str]
) -> str | None:
    """The severity of a match in `lower` (the sentence lowercased), or None when the rule's
    conditions reject it. Subjects are read in `sentence`, where capitals mark names."""
    if rule.not_followed_by and rule.not_followed_by.match(lower, match.end()):
        return None
    lookback = max(0, match.start() - LOOKBACK)
    if rule.not_preceded_by and rule.not_preceded_by.search(lower, lookback, match.start()):
        return None
    # What responders believed at the time is a fact of the timeline, not a verdict.
    if belief_regex().search(lower, lookback, match.start()):
        return None
    if rule.exempt_third_party and third_party_regex().search(lower):
        return None
    groups = match.groupdict()
    if rule.modal_perfect:
        participle = groups.get("participle") or WORD_RE.findall(match.group())[-1]
        if not is_participle(participle):
            return None
    kind = "person"
    if rule.subject in ("person", "self"):
        if groups.get("subject"):
            tokens = TOKEN_RE.findall(sentence, *match.span("subject"))
            kind = np_kind(tokens, len(tokens) - 1, people) if tokens else None
        else:
            anchor = match.start("verb") if groups.get("verb") else match.start()
            kind = subject_kind(
                sentence[max(0, anchor - SUBJECT_LOOKBACK) : anchor],
                people,
                groups.get("verb") or "",
            )
    elif rule.subject == "clause":
        kind = clause_subject_kind(sentence[lookback : match.start()], people)
    if kind is None or (rule.subject == "self" and kind != "self"):
        return None
    if kind == "self" and rule.self_severity:
        return rule.self_severity
    return rule.severity


def match_sentence(
    rules: Iterable[Rule], sentence: str, lower: str, offset: int, people: frozenset[str]
) -> list[Hit]:
    """The rules' hits in a sentence; `lower` is the sentence lowercased, same length."""
    hits = []
    bounds = (offset, offset + len(sentence))
    for rule in rules:
        for match in rule.regex.finditer(sentence if rule.case_sensitive else lower):
            if match.end() == match.start():
                continue
            severity = _severity(rule, match, sentence, lower, people)
            if severity:
                groups = tuple(
                    (name, offset + match.start(name), offset + match.end(name))
                    for name, value in match.groupdict().items()
                    if value
                )
                hits.append(
                    Hit(
                        offset + match.start(), offset + match.end(), rule, severity, bounds, groups
                    )
                )
    return hits


def _lowercase_same_length(text: str) -> str:
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    # "İ" lowercases to "i" plus a combining dot: keep the "i", as the regex engine's
    # case-insensitive matching does, so offsets stay aligned.
    return "".join(char.lower()[0] for char in text)


def _windows(start: int, end: int, text: str) -> Iterator[tuple[int, int]]:
    """A sentence, or windows of an overlong one cut at spaces, so matching stays linear."""
    while end - start > WINDOW:
        cut = text.rfind(" ", start + WINDOW // 2, start + WINDOW)
        cut = start + WINDOW if cut == -1 else cut + 1
        yield start, cut
        start = cut
    yield start, end


def _passages(prose: str) -> Iterator[tuple[int, int]]:
    """The sentences of the prose without their Markdown lead, overlong ones in windows."""
    bounds = [0, *(match.end() for match in SENTENCE_BREAK_RE.finditer(prose)), len(prose)]
    for start, end in itertools.pairwise(bounds):
        start = MARKDOWN_LEAD_RE.match(prose, start, end).end()
        yield from _windows(start, end, prose)


def scan(text: str, rule_set: RuleSet, people: frozenset[str] = frozenset()) -> list[Hit]:
    """Run the rules only on the passages of prose that contain one of their trigger words."""
    by_trigger = rule_set.by_trigger
    prose = prose_only(text)
    lower = _lowercase_same_length(prose)
    hits = []
    for start, end in _passages(prose):
        # A slice of ASCII text is stored a byte a character: the regex engine reads it faster.
        passage = lower[start:end]
        found = rule_set.trigger_words.intersection(WORD_RE.findall(passage))
        if found:
            rules = {rule for word in found for rule in by_trigger[word]}
            hits.extend(match_sentence(rules, prose[start:end], passage, start, people))
    return hits
