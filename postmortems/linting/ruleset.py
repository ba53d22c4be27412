"""Rules are TOML data (rules/*.toml): loading, checking and compiling them, and grouping
them by trigger word. Conditions are the small vocabulary of keys in RULE_KEYS."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

from .forms import english_pos, lexicon_heads, lexicon_regex
from .vocabulary import WORD_RE, vocabulary

RULES_DIR = Path(__file__).parent / "rules"

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
SUBJECTS = (None, "person", "self", "clause")
REWRITES = (None, "drop", "not-done", "unnoticed", "should-not-done")
MACRO_RE = re.compile(r"\{(\w+)\}")


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
    case_sensitive: bool = False
    not_followed_by: re.Pattern[str] | None = None
    not_preceded_by: re.Pattern[str] | None = None
    self_severity: str | None = None
    exempt_third_party: bool = False
    rewrite: str | None = None
    examples_pass: tuple[str, ...] = ()
    examples_fail: tuple[str, ...] = ()


# The keys a rule may have: the Rule's fields, its regex written as `pattern` (its category is
# its file's).
RULE_KEYS = {field.name for field in fields(Rule)} - {"category", "regex"} | {"pattern"}


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    by_trigger: dict[str, tuple[Rule, ...]]
    trigger_words: frozenset[str] = frozenset()

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> RuleSet:
        rules = tuple(rules)
        by_trigger: dict[str, list[Rule]] = {}
        for rule in rules:
            for word in rule.triggers:
                by_trigger.setdefault(word, []).append(rule)
        return cls(
            rules,
            {word: tuple(found) for word, found in by_trigger.items()},
            frozenset(by_trigger),
        )


def _expand_macros(pattern: str) -> str:
    """{participle} and the vocabulary's verb lexicons ({omission}…) as alternations of forms."""
    vocab = vocabulary()
    irregular = "|".join(sorted(vocab.participles, key=len, reverse=True))

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "participle":
            return rf"(?:\w+ed|{irregular})\b"
        if name in vocab.lexicons:
            return lexicon_regex(vocab.lexicons[name])
        return match.group()

    return MACRO_RE.sub(expand, pattern)


def _expand_triggers(words: Iterable[str]) -> frozenset[str]:
    lexicons = vocabulary().lexicons
    expanded: set[str] = set()
    for word in words:
        macro = MACRO_RE.fullmatch(word)
        if macro and macro.group(1) in lexicons:
            expanded |= lexicon_heads(lexicons[macro.group(1)])
        else:
            expanded.add(word.lower())
    return frozenset(expanded)


def _has_capitals(pattern: str) -> bool:
    """Whether a pattern has capitals outside escapes and group names ("\\S", "(?P<Verb>")."""
    literal = re.sub(r"\\.|\(\?P[<=]\w+[>)]", "", pattern)
    return literal != literal.lower()


def compile_rule(data: dict, *, category: str, default_severity: str = "warning") -> Rule:
    unknown = set(data) - RULE_KEYS
    if unknown:
        raise ValueError(f"rule {data.get('id')!r}: unknown keys {sorted(unknown)}")
    severity = data.get("severity", default_severity)
    if severity not in SEVERITIES or category not in CATEGORIES:
        raise ValueError(f"rule {data['id']!r}: bad severity or category")
    if data.get("subject") not in SUBJECTS or data.get("rewrite") not in REWRITES:
        raise ValueError(f"rule {data['id']!r}: subject must be one of {SUBJECTS[1:]}")
    if data.get("self_severity") not in (None, *SEVERITIES):
        raise ValueError(f"rule {data['id']!r}: bad self_severity")
    triggers = _expand_triggers(data["triggers"])
    if not triggers or any(not WORD_RE.fullmatch(word) for word in triggers):
        raise ValueError(f"rule {data['id']!r}: triggers must be single words (\\w+)")
    case_sensitive = data.get("case_sensitive", False)
    # Sentences are lowercased once for all the rules, so capitals would never match.
    for key in ("pattern", "not_followed_by", "not_preceded_by"):
        if key in data and not (case_sensitive and key == "pattern") and _has_capitals(data[key]):
            raise ValueError(f"rule {data['id']!r}: {key} is matched in lowercase; write it so")

    def optional(key: str, template: str) -> re.Pattern[str] | None:
        return re.compile(template.format(data[key])) if key in data else None

    return Rule(
        id=data["id"],
        category=category,
        severity=severity,
        message=data["message"],
        suggestion=data.get("suggestion"),
        regex=re.compile(_expand_macros(data["pattern"])),
        triggers=triggers,
        subject=data.get("subject"),
        modal_perfect=data.get("modal_perfect", False),
        case_sensitive=case_sensitive,
        not_followed_by=optional("not_followed_by", "(?:{})"),
        not_preceded_by=optional("not_preceded_by", r"(?:{})\s*\Z"),
        self_severity=data.get("self_severity"),
        exempt_third_party=data.get("exempt_third_party", False),
        rewrite=data.get("rewrite"),
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
    # lemminflect reads its lemma tables on first use (about half a second): read them with
    # the rules, so that no person's first unknown word pays for it while typing.
    english_pos("warm")
    return RuleSet.of(load_rules())
