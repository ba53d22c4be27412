"""Rule loading and matching: rules are TOML data, conditions are the small vocabulary below."""

from __future__ import annotations

import functools
import itertools
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .forms import english_pos, lexicon_heads, lexicon_regex
from .masking import prose_only

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
    "self_severity",
    "exempt_third_party",
    "rewrite",
}
SUBJECTS = (None, "person", "self", "clause")
REWRITES = (None, "drop", "not-done", "unnoticed", "should-not-done")

WORD_RE = re.compile(r"\w+")
TOKEN_RE = re.compile(r"\w+(?:[-.'’]\w+)*")
# A sentence ends at terminal punctuation plus whitespace, a blank line, or a new Markdown block.
SENTENCE_BREAK_RE = re.compile(
    r"[.!?][\"'”’)\]*_]*\s+|\n[ \t]*\n\s*|\n(?=[ \t]*(?:[-*+>#|]|\d+[.)])\s)"
)
MARKDOWN_LEAD_RE = re.compile(r"(?:\s|[>#*+|_-]|\d+[.)]\s)*")
CLAUSE_BREAK_RE = re.compile(r"[;,:]\s|\s[-–—]\s")
# Where a new clause starts inside a sentence: punctuation or a subordinating conjunction.
CLAUSE_START_RE = re.compile(
    r"[;,:]\s|\s[-–—]\s|\b(?:because|when|while|after|before|since|although|though|until|so|but|and|or|as|if|once)\s",
    re.IGNORECASE,
)
MACRO_RE = re.compile(r"\{(\w+)\}")
# How far back conditions look for a subject or a negation; keeps long lines linear.
LOOKBACK = 300
SUBJECT_LOOKBACK = 160
# Longer "sentences" (a text without punctuation) are matched in windows of this size.
WINDOW = 2000


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
    self_words: frozenset[str]
    third_party_words: frozenset[str]
    belief_words: frozenset[str]
    given_names: frozenset[str]
    lexicons: dict[str, tuple[str, ...]]


@functools.cache
def vocabulary() -> Vocabulary:
    data = tomllib.loads((HERE / "vocabulary.toml").read_text(encoding="utf-8"))
    lexicons = {name: tuple(lemmas) for name, lemmas in data.pop("lexicons").items()}
    return Vocabulary(**{key: frozenset(words) for key, words in data.items()}, lexicons=lexicons)


def _word_list_regex(words: Iterable[str]) -> re.Pattern[str]:
    """Any of the words, in a lowercased text."""
    alternatives = "|".join(
        sorted((re.escape(word.lower()) for word in words), key=len, reverse=True)
    )
    return re.compile(rf"\b(?:{alternatives})\b")


@functools.cache
def third_party_regex() -> re.Pattern[str]:
    return _word_list_regex(vocabulary().third_party_words)


@functools.cache
def belief_regex() -> re.Pattern[str]:
    return _word_list_regex(vocabulary().belief_words)


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
    """A capitalised word that is a common given name ("Tom", "Priya"), or one the English
    lexicon does not know ("Zoë", "Łukasz") and that is not a system or product word.
    "Memory leak…" or "Reported missing…" start with known English words, not names."""
    vocab = vocabulary()
    word = token.lower()
    if len(token) == 1 and token.isupper() and token not in ("I", "A"):
        return True  # an initial: "Engineer J", "J restarted the primary"
    if not (len(token) > 1 and token.isalpha() and token[0].isupper() and token[1:].islower()):
        return False
    if word in vocab.given_names:
        return True
    return word not in vocab.common_words and not _is_system_word(word) and not english_pos(word)


def is_person(token: str, people: frozenset[str]) -> bool:
    vocab = vocabulary()
    word = token.lower()
    return (
        word in people
        or word in vocab.roles
        or word in vocab.pronouns
        or looks_like_given_name(token)
    )


def _np_kind(tokens: list[str], head: int, people: frozenset[str]) -> str | None:
    """Whether the noun phrase ending at tokens[head] is the writer ("self"), someone else
    ("person"), or no person at all (None). A person's possession counts as the person."""
    vocab = vocabulary()
    stem, _ = _strip_possessive(tokens[head])
    word = stem.lower()
    if word in vocab.self_words:
        return "self"
    if head > 0 and tokens[head - 1].lower() in ("our", "my") and word in ("team", "teams"):
        return "self"
    if is_person(stem, people) or word in vocab.possessive_pronouns:
        return "person"
    for token in reversed(tokens[max(0, head - 4) : head]):
        word = token.lower()
        if word in vocab.possessive_pronouns:
            return "person"
        if word in vocab.np_boundaries:
            return None
        stem, possessive = _strip_possessive(token)
        if possessive:
            return "person" if is_person(stem, people) else None
    return None


def _clause_subject_kind(clause: str, people: frozenset[str]) -> str | None:
    """The kind of the first noun phrase of a clause ("Anna deployed X and caused…")."""
    vocab = vocabulary()
    tokens = TOKEN_RE.findall(clause)
    start = 0
    while start < len(tokens) and tokens[start].lower() in vocab.np_boundaries:
        start += 1
    for index in range(start, min(start + 4, len(tokens))):
        word = tokens[index].lower()
        if word in vocab.np_boundaries or word in vocab.skip_words:
            return None
        kind = _np_kind(tokens, index, people)
        following = tokens[index + 1].lower() if index + 1 < len(tokens) else ""
        # "operator error", "user report": a person noun modifying the real head noun.
        modifier = following.isalpha() and set(english_pos(following)) == {"NOUN"}
        if kind and not modifier:
            return kind
        if word.endswith("ed") and index > start:
            return None
    return None


def _is_skippable(token: str) -> bool:
    word = token.lower()
    return word in vocabulary().skip_words or (
        len(word) > 4 and word.endswith("ly") and token.islower()
    )


BE_FORMS = frozenset(("be", "been", "being", "is", "are", "was", "were", "get", "got", "gets"))
DETERMINERS = frozenset(
    ("a", "an", "the", "this", "that", "these", "those", "our", "their", "my", "your", "its")
)
PREPOSITIONS = frozenset(
    ("in", "on", "at", "for", "from", "with", "by", "of", "to", "into", "about", "over", "via")
)


def _prepositional_object_start(tokens: list[str], head: int) -> int | None:
    """Where the preposition governing the noun phrase ending at tokens[head] is, when one
    does ("the post on Teams", "the owner of the ingress"): such a phrase is no subject."""
    for index in range(head - 1, max(-1, head - 3), -1):
        word = tokens[index].lower()
        if word in PREPOSITIONS:
            return index
        if word not in DETERMINERS:
            return None
    return None


def subject_kind(prefix: str, people: frozenset[str], verb: str = "") -> str | None:
    """Who the words before a verb (the sentence up to it) make its subject: "self",
    "person" or None. A passive ("had been skipped") or a participle clause after a comma
    (", causing …") has no agent there at all."""
    if verb.lower().endswith("ing") and prefix.rstrip().endswith(","):
        return None
    tokens = TOKEN_RE.findall(prefix)
    index = len(tokens) - 1
    passive = False
    while index >= 0 and _is_skippable(tokens[index]):
        passive = passive or tokens[index].lower() in BE_FORMS
        index -= 1
    if index < 0 or (passive and is_participle(verb.split()[0] if verb else "")):
        return None
    word = tokens[index].lower()
    if word in ("who", "whom"):
        return "person"
    if word in DETERMINERS:
        return None  # "a breaking change": the verb form is an adjective here
    # "-ing" with no auxiliary modifies the noun right before it: "the Ingress causing…".
    if not (verb.lower().endswith("ing") and not passive):
        preposition = _prepositional_object_start(tokens, index)
        while preposition is not None and preposition > 0:
            index = preposition - 1
            preposition = _prepositional_object_start(tokens, index)
        if preposition is not None:
            return None
        word = tokens[index].lower()
    if word in ("that", "which") and index > 0:
        index -= 1
    elif word in ("and", "or", "but", "then"):
        cut = prefix.rfind(tokens[index])
        clauses = CLAUSE_BREAK_RE.split(prefix[:cut])
        return _clause_subject_kind(clauses[-1], people)
    return _np_kind(tokens, index, people)


def clause_subject_kind(prefix: str, people: frozenset[str]) -> str | None:
    """The subject of the clause that the words before a match belong to."""
    starts = [match.end() for match in CLAUSE_START_RE.finditer(prefix)]
    return _clause_subject_kind(prefix[starts[-1] if starts else 0 :], people)


def is_participle(word: str) -> bool:
    word = word.lower()
    return word in vocabulary().participles or (word.endswith("ed") and len(word) > 3)


# --- matching -------------------------------------------------------------------------------


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
            kind = _np_kind(tokens, len(tokens) - 1, people) if tokens else None
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
