"""Who the subject of a matched verb is: the writer ("self"), another person, or no person.

Rules with a `subject` condition read the words before the match; the names of the site's
people count as persons, as do roles, pronouns and words that look like given names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .forms import english_pos
from .vocabulary import TOKEN_RE, vocabulary

CLAUSE_BREAK_RE = re.compile(r"[;,:]\s|\s[-–—]\s")
# Where a new clause starts inside a sentence: punctuation or a subordinating conjunction.
CLAUSE_START_RE = re.compile(
    r"[;,:]\s|\s[-–—]\s|\b(?:because|when|while|after|before|since|although|though|until|so|but|and|or|as|if|once)\s",
    re.IGNORECASE,
)


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


def np_kind(tokens: list[str], head: int, people: frozenset[str]) -> str | None:
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
        kind = np_kind(tokens, index, people)
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
    return np_kind(tokens, index, people)


def clause_subject_kind(prefix: str, people: frozenset[str]) -> str | None:
    """The subject of the clause that the words before a match belong to."""
    starts = [match.end() for match in CLAUSE_START_RE.finditer(prefix)]
    return _clause_subject_kind(prefix[starts[-1] if starts else 0 :], people)


def is_participle(word: str) -> bool:
    word = word.lower()
    return word in vocabulary().participles or (word.endswith("ed") and len(word) > 3)
