"""Rule loading and matching: rules are TOML data, conditions are the small vocabulary below."""

from __future__ import annotations

import bisect
import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
RULES_DIR = HERE / "rules"

SEVERITIES = ("warning", "info")
CATEGORIES = (
    "named-cause",
    "blame",
    "counterfactual",
    "normative",
    "human-error",
    "judgement",
    "hindsight",
    "minimizing",
    "root-cause",
    "actionability",
    "custom",
)
RULE_KEYS = {
    "id",
    "pattern",
    "triggers",
    "severity",
    "message",
    "suggestion",
    "subject",
    "modal_perfect",
    "not_followed_by",
    "not_preceded_by",
    "case_sensitive",
    "examples_pass",
    "examples_fail",
}

WORD_RE = re.compile(r"\w+")
TOKEN_RE = re.compile(r"\w+(?:[-.'’]\w+)*")
# A sentence ends at terminal punctuation plus whitespace, a blank line, or a new Markdown block.
SENTENCE_BREAK_RE = re.compile(
    r"[.!?][\"'”’)\]*_]*\s+|\n[ \t]*\n\s*|\n(?=[ \t]*(?:[-*+>#|]|\d+[.)])\s)"
)
MARKDOWN_LEAD_RE = re.compile(r"(?:\s|[>#*+|_-]|\d+[.)]\s)*")
CLAUSE_BREAK_RE = re.compile(r"[;,:]\s|\s[-–—]\s")
# How far back conditions look for a subject or a negation; keeps long lines linear.
LOOKBACK = 300


@dataclass(frozen=True)
class Vocabulary:
    roles: frozenset[str]
    pronouns: frozenset[str]
    possessive_pronouns: frozenset[str]
    system_words: frozenset[str]
    common_words: frozenset[str]
    skip_words: frozenset[str]
    np_boundaries: frozenset[str]
    participles: frozenset[str]


@functools.cache
def vocabulary() -> Vocabulary:
    data = tomllib.loads((HERE / "vocabulary.toml").read_text(encoding="utf-8"))
    return Vocabulary(**{key: frozenset(words) for key, words in data.items()})


# Identity equality: rules are compiled once, and hashing every field would cost per sentence.
@dataclass(frozen=True, eq=False)
class Rule:
    id: str
    category: str
    severity: str
    message: str
    suggestion: str | None
    regex: re.Pattern[str]
    triggers: frozenset[str]
    subject: str | None = None
    modal_perfect: bool = False
    not_followed_by: re.Pattern[str] | None = None
    not_preceded_by: re.Pattern[str] | None = None
    examples_pass: tuple[str, ...] = ()
    examples_fail: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    by_trigger: dict[str, tuple[Rule, ...]]

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> RuleSet:
        rules = tuple(rules)
        by_trigger: dict[str, list[Rule]] = {}
        for rule in rules:
            for word in rule.triggers:
                by_trigger.setdefault(word, []).append(rule)
        return cls(rules, {word: tuple(found) for word, found in by_trigger.items()})


def _expand_macros(pattern: str) -> str:
    irregular = "|".join(sorted(vocabulary().participles, key=len, reverse=True))
    return pattern.replace("{participle}", rf"(?:\w+ed|{irregular})\b")


def compile_rule(data: dict, *, category: str, default_severity: str = "warning") -> Rule:
    unknown = set(data) - RULE_KEYS
    if unknown:
        raise ValueError(f"rule {data.get('id')!r}: unknown keys {sorted(unknown)}")
    severity = data.get("severity", default_severity)
    if severity not in SEVERITIES or category not in CATEGORIES:
        raise ValueError(f"rule {data['id']!r}: bad severity or category")
    if data.get("subject") not in (None, "person"):
        raise ValueError(f"rule {data['id']!r}: subject must be 'person'")
    triggers = frozenset(word.lower() for word in data["triggers"])
    if not triggers or any(not WORD_RE.fullmatch(word) for word in triggers):
        raise ValueError(f"rule {data['id']!r}: triggers must be single words (\\w+)")
    flags = 0 if data.get("case_sensitive") else re.IGNORECASE

    def optional(key: str, template: str) -> re.Pattern[str] | None:
        return re.compile(template.format(data[key]), re.IGNORECASE) if key in data else None

    return Rule(
        id=data["id"],
        category=category,
        severity=severity,
        message=data["message"],
        suggestion=data.get("suggestion"),
        regex=re.compile(_expand_macros(data["pattern"]), flags),
        triggers=triggers,
        subject=data.get("subject"),
        modal_perfect=data.get("modal_perfect", False),
        not_followed_by=optional("not_followed_by", "(?:{})"),
        not_preceded_by=optional("not_preceded_by", r"(?:{})\s*\Z"),
        examples_pass=tuple(data.get("examples_pass", ())),
        examples_fail=tuple(data.get("examples_fail", ())),
    )


def load_rules(directory: Path = RULES_DIR) -> list[Rule]:
    rules = []
    for path in sorted(directory.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for rule in data["rule"]:
            rules.append(
                compile_rule(
                    rule,
                    category=data["category"],
                    default_severity=data.get("severity", "warning"),
                )
            )
    ids = [rule.id for rule in rules]
    duplicates = {rule_id for rule_id in ids if ids.count(rule_id) > 1}
    if duplicates:
        raise ValueError(f"duplicate rule ids: {sorted(duplicates)}")
    return rules


@functools.cache
def default_rules() -> RuleSet:
    return RuleSet.of(load_rules())


# --- people ---------------------------------------------------------------------------------


def people_words(people: Iterable[str]) -> frozenset[str]:
    """Lowercased names and each part of full names, usernames without a leading @.

    A frozenset is taken as already prepared: a page that lints hundreds of texts against a
    site's thousands of names prepares them once (postmortems.lint.site_vocabulary).
    """
    if isinstance(people, frozenset):
        return people
    words = set()
    for name in people:
        name = name.strip().lstrip("@").lower()
        if name:
            words.add(name)
            words.update(TOKEN_RE.findall(name))
    return frozenset(words)


def _strip_possessive(token: str) -> tuple[str, bool]:
    if token[-2:] in ("'s", "’s"):
        return token[:-2], True
    if token[-1:] in ("'", "’"):
        return token[:-1], True
    return token, False


def _is_system_word(word: str) -> bool:
    words = vocabulary().system_words
    return (
        word in words
        or (word.endswith("s") and word[:-1] in words)
        or (word.endswith("es") and word[:-2] in words)
        or word.endswith(("ing", "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ics"))
    )


def looks_like_given_name(token: str) -> bool:
    """A capitalised word ("Zoë", "Łukasz") that is not a system, product or function word."""
    vocab = vocabulary()
    word = token.lower()
    return (
        len(token) > 1
        and token.isalpha()
        and token[0].isupper()
        and token[1:].islower()
        and word not in vocab.common_words
        and not _is_system_word(word)
    )


def is_person(token: str, people: frozenset[str]) -> bool:
    vocab = vocabulary()
    word = token.lower()
    return (
        word in people
        or word in vocab.roles
        or word in vocab.pronouns
        or looks_like_given_name(token)
    )


def _np_is_person(tokens: list[str], head: int, people: frozenset[str]) -> bool:
    """The noun phrase ending at tokens[head] names a person, or a person possesses it."""
    vocab = vocabulary()
    stem, _ = _strip_possessive(tokens[head])
    if is_person(stem, people) or stem.lower() in vocab.possessive_pronouns:
        return True
    for token in reversed(tokens[max(0, head - 4) : head]):
        word = token.lower()
        if word in vocab.possessive_pronouns:
            return True
        if word in vocab.np_boundaries:
            return False
        stem, possessive = _strip_possessive(token)
        if possessive:
            return is_person(stem, people)
    return False


def _clause_subject_is_person(clause: str, people: frozenset[str]) -> bool:
    """The first noun phrase of a clause ("Anna deployed X and caused…") names a person."""
    vocab = vocabulary()
    tokens = TOKEN_RE.findall(clause)
    start = 0
    while start < len(tokens) and tokens[start].lower() in vocab.np_boundaries:
        start += 1
    for index in range(start, min(start + 4, len(tokens))):
        word = tokens[index].lower()
        if word in vocab.np_boundaries or word in vocab.skip_words:
            return False
        stem, _ = _strip_possessive(tokens[index])
        if is_person(stem, people) or word in vocab.possessive_pronouns:
            return True
        if word.endswith("ed") and index > start:
            return False
    return False


def _is_skippable(token: str) -> bool:
    word = token.lower()
    return word in vocabulary().skip_words or (
        len(word) > 4 and word.endswith("ly") and token.islower()
    )


def subject_is_person(prefix: str, people: frozenset[str]) -> bool:
    """Whether the words before a verb (the sentence up to it) have a person as subject."""
    tokens = TOKEN_RE.findall(prefix)
    index = len(tokens) - 1
    while index >= 0 and _is_skippable(tokens[index]):
        index -= 1
    if index < 0:
        return False
    word = tokens[index].lower()
    if word in ("who", "whom"):
        return True
    if word in ("that", "which") and index > 0:
        index -= 1
    elif word in ("and", "or", "but", "then"):
        cut = prefix.rfind(tokens[index])
        clauses = CLAUSE_BREAK_RE.split(prefix[:cut])
        return _clause_subject_is_person(clauses[-1], people)
    return _np_is_person(tokens, index, people)


def is_participle(word: str) -> bool:
    word = word.lower()
    return word in vocabulary().participles or (word.endswith("ed") and len(word) > 3)


# --- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    rule: Rule


def _accepts(rule: Rule, match: re.Match[str], sentence: str, people: frozenset[str]) -> bool:
    if rule.not_followed_by and rule.not_followed_by.match(sentence, match.end()):
        return False
    lookback = max(0, match.start() - LOOKBACK)
    if rule.not_preceded_by and rule.not_preceded_by.search(sentence, lookback, match.start()):
        return False
    groups = match.groupdict()
    if rule.modal_perfect:
        participle = groups.get("participle") or WORD_RE.findall(match.group())[-1]
        if not is_participle(participle):
            return False
    if rule.subject == "person":
        if groups.get("subject"):
            tokens = TOKEN_RE.findall(groups["subject"])
            return bool(tokens) and _np_is_person(tokens, len(tokens) - 1, people)
        anchor = match.start("verb") if groups.get("verb") else match.start()
        return subject_is_person(sentence[max(0, anchor - LOOKBACK) : anchor], people)
    return True


def match_sentence(
    rules: Iterable[Rule], sentence: str, offset: int, people: frozenset[str]
) -> list[Hit]:
    hits = []
    for rule in rules:
        for match in rule.regex.finditer(sentence):
            if match.end() > match.start() and _accepts(rule, match, sentence, people):
                hits.append(Hit(offset + match.start(), offset + match.end(), rule))
    return hits


def _lowercase_same_length(text: str) -> str:
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    # A few characters ("İ") grow when lowercased; keep them so offsets stay aligned.
    return "".join(char.lower() if len(char.lower()) == 1 else char for char in text)


def scan(text: str, rule_set: RuleSet, people: frozenset[str] = frozenset()) -> list[Hit]:
    """Run the rules only on the sentences that contain one of their trigger words."""
    by_trigger = rule_set.by_trigger
    triggered = [
        (match.start(), word)
        for match in WORD_RE.finditer(_lowercase_same_length(text))
        if (word := match.group()) in by_trigger
    ]
    if not triggered:
        return []
    breaks = [match.end() for match in SENTENCE_BREAK_RE.finditer(text)]
    wanted: dict[int, set[Rule]] = {}
    for position, word in triggered:
        sentence = bisect.bisect_right(breaks, position)
        wanted.setdefault(sentence, set()).update(by_trigger[word])
    hits = []
    for sentence, rules in wanted.items():
        start = breaks[sentence - 1] if sentence else 0
        end = breaks[sentence] if sentence < len(breaks) else len(text)
        start = MARKDOWN_LEAD_RE.match(text, start, end).end()
        hits.extend(match_sentence(rules, text[start:end], start, people))
    return hits
