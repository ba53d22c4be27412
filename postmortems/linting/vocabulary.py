"""The words the linter knows (vocabulary.toml), and what counts as a word."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent

WORD_RE = re.compile(r"\w+")
TOKEN_RE = re.compile(r"\w+(?:[-.'’]\w+)*")


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
