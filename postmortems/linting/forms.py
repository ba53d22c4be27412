"""Word forms of the vocabulary's verb lexicons, from lemminflect's tables.

Rules name a lexicon ("{omission}") instead of listing "skip, skips, skipped, skipping…";
the forms are computed once per lemma, so linting never calls lemminflect per word.
lemminflect is imported on first use: it holds 10 MB that processes which never lint (the
Celery worker sending reminders) would otherwise carry.
"""

from __future__ import annotations

import functools
import re

VERB_TAGS = ("VB", "VBD", "VBN", "VBG", "VBZ")
# Words between a separable particle and its verb: "took [the whole cluster] down".
PARTICLE_GAP = r"(?:\s+[\w'’-]+){0,4}?\s+"


@functools.cache
def verb_forms(lemma: str) -> tuple[str, ...]:
    """Every inflection of a one-word verb lemma, the lemma first."""
    from lemminflect import getAllInflections, getAllInflectionsOOV, getInflection

    table = getAllInflections(lemma, upos="VERB") or getAllInflectionsOOV(lemma, upos="VERB")
    forms = {lemma}
    for tag in VERB_TAGS:
        forms.update(table.get(tag, ()))
        forms.update(getInflection(lemma, tag=tag) or ())
    return (lemma, *sorted(forms - {lemma}))


@functools.cache
def past_participle(lemma: str) -> str:
    """ "look at" -> "looked at"; any form of the verb will do ("tested" -> "tested")."""
    from lemminflect import getAllInflectionsOOV, getInflection, getLemma

    head, _, rest = lemma.partition(" ")
    head = (getLemma(head, upos="VERB") or (head,))[0]
    forms = getInflection(head, tag="VBN") or getAllInflectionsOOV(head, upos="VERB").get(
        "VBN", (head + "ed",)
    )
    return f"{forms[0]} {rest}".strip()


def phrase_regex(lemma: str) -> str:
    """A lemma ("put off", "double-check") as a regex over all its forms."""
    head, *particles = lemma.split()
    forms = "|".join(re.escape(form) for form in sorted(verb_forms(head), key=len, reverse=True))
    pattern = f"(?:{forms})"
    for particle in particles:
        pattern += PARTICLE_GAP + re.escape(particle)
    return pattern


def lexicon_regex(lemmas: tuple[str, ...]) -> str:
    return "(?:" + "|".join(phrase_regex(lemma) for lemma in lemmas) + ")"


def lexicon_heads(lemmas: tuple[str, ...]) -> frozenset[str]:
    """The forms of each lemma's first word: the trigger words of a rule that uses the lexicon."""
    return frozenset(
        form.lower() for lemma in lemmas for form in verb_forms(lemma.split()[0].split("-")[0])
    )


@functools.lru_cache(maxsize=65536)
def english_pos(word: str) -> frozenset[str]:
    """The parts of speech the English lexicon knows for a lowercase word; empty if unknown.
    Memoised per word: names and nouns recur through a document."""
    from lemminflect import getAllLemmas

    return frozenset(getAllLemmas(word))
