"""Blameless rewrites of whole sentences for the common patterns, applied in the editor with one click.

Each strategy takes the sentence and the spans of the rule's named groups and returns the
sentence rewritten, or None when the sentence is not in the simple shape it knows:
  drop            "The engineer carelessly restarted X."  -> "The engineer restarted X."
  not-done        "Sarah didn't check the logs."          -> "The logs were not checked."
  unnoticed       "The on-call missed the alert."         -> "The alert went unnoticed."
  should-not-done "The on-call should have paged the DBA." -> "The DBA was not paged."
"""

from __future__ import annotations

import re

from .forms import past_participle

# The object noun phrase: up to four words, ending before a preposition, a conjunction or
# punctuation ("the error budget| before approving").
OBJECT_RE = re.compile(
    r"\s+((?:(?:the|a|an|this|that|these|those|our|their|his|her|its|my|your|all|every)\s+)?"
    r"(?:[\w'’-]+\s+){0,3}?[\w'’-]+)"
    r"(?=\s+(?:before|after|until|when|while|because|during|in|on|at|for|to|from|with|by|and|"
    r"or|but|so|as|if|since|again|anyway|yet|first|despite|without|even)\b|\s*[,.;:!?)]|\s*$)",
    re.IGNORECASE,
)
CLAUSE_START_RE = re.compile(
    r"(?:^|[;,:]\s+|\s[-–—]\s+|\b(?:because|when|while|after|before|since|although|though|so|but|and)\s+)",
    re.IGNORECASE,
)
# The subject noun phrase at the end of the words before the verb, after any adverbs.
SUBJECT_RE = re.compile(
    r"(?:\b(?:the|a|an|our|their|his|her|my|your|this|that)\s+)?[\w'’-]+(?:\s+[\w'’-]+)?"
    r"(?=(?:\s+(?:\w+ly|then|just|also|never|still|kept|keeps|even))*\s*$)",
    re.IGNORECASE,
)
SUBJECTLESS = {"it", "them", "this", "that", "one", "anything", "everything", "nothing"}
PARTICLES = ("at", "into", "for", "over", "up", "off", "out")
UNNOTICED_VERBS = ("miss", "overlook", "ignore", "disregard", "brush")


def _capitalise_at(text: str, index: int) -> str:
    return text[:index] + text[index : index + 1].upper() + text[index + 1 :]


def _clause_start(sentence: str, before: int) -> int:
    """Where the clause around `before` starts, after any leading emoji or punctuation."""
    starts = [match.end() for match in CLAUSE_START_RE.finditer(sentence, 0, before)]
    start = starts[-1] if starts else 0
    word = re.compile(r"\w").search(sentence, start, before)
    return word.start() if word else start


def _is_plural(noun_phrase: str) -> bool:
    head = noun_phrase.split()[-1].lower()
    first = noun_phrase.split()[0].lower()
    return first in ("these", "those", "all") or (
        head.endswith("s") and not head.endswith(("ss", "us", "is", "'s", "’s"))
    )


def _object_clause(sentence: str, subject_at: int, after: int, predicate: str) -> str | None:
    """Replace "<subject> … <verb> <object><rest>" by "<object> <predicate><rest>"."""
    found = OBJECT_RE.match(sentence, after)
    if not found or found.group(1).split()[0].lower() in ("to", "not"):
        return None
    noun_phrase = found.group(1)
    if noun_phrase.lower() in SUBJECTLESS:
        noun_phrase = "It"
    verb = ("were " if _is_plural(noun_phrase) else "was ") + predicate
    if predicate == "went unnoticed":
        verb = predicate
    start = _clause_start(sentence, subject_at)
    subject = SUBJECT_RE.search(sentence, start, subject_at)
    if subject:
        start = subject.start()
    rewritten = sentence[:start] + noun_phrase + " " + verb + sentence[found.end() :]
    if not re.search(r"\w", sentence[:start]) or sentence[:start].rstrip().endswith(
        (".", "!", "?")
    ):
        rewritten = _capitalise_at(rewritten, start)
    elif noun_phrase[:1].isupper() and noun_phrase.split()[0].lower() in ("the", "a", "an", "this"):
        rewritten = rewritten[:start] + noun_phrase[0].lower() + rewritten[start + 1 :]
    return rewritten


def _drop(sentence: str, start: int, end: int) -> str:
    before, after = sentence[:start].rstrip(" "), sentence[end:].lstrip(" ")
    joined = (before + " " + after) if before and after[:1].isalnum() else before + after
    if not before.strip():
        joined = after[:1].upper() + after[1:]
    return re.sub(r"\s+([,.;:!?])", r"\1", joined)


def _action_phrase(sentence: str, start: int, end: int) -> tuple[str, int]:
    """The action's lemma with a particle that belongs to it ("look at"), and where it ends."""
    action = sentence[start:end].lower()
    particle = re.match(r"\s+(\w+)", sentence[end:])
    if particle and particle.group(1).lower() in PARTICLES and " " not in action:
        return f"{action} {particle.group(1).lower()}", end + particle.end()
    return action, end


def rewrite_sentence(
    strategy: str, sentence: str, match: tuple[int, int], groups: dict[str, tuple[int, int]]
) -> str | None:
    """The sentence rewritten by `strategy`; spans are relative to the sentence."""
    verb = groups.get("verb")
    if strategy == "drop":
        return _drop(sentence, *match)
    if strategy == "not-done" and verb and "action" in groups:
        action, action_end = _action_phrase(sentence, *groups["action"])
        lemma = action.split()[0]
        participle = past_participle(lemma) + action[len(lemma) :]
        return _object_clause(sentence, verb[0], action_end, "not " + participle)
    if strategy == "unnoticed" and verb:
        lemma = sentence[verb[0] : verb[1]].lower()
        if lemma.startswith(UNNOTICED_VERBS):
            return _object_clause(sentence, verb[0], verb[1], "went unnoticed")
        return None
    if strategy == "should-not-done" and "participle" in groups and verb:
        participle_at = groups["participle"]
        participle = sentence[participle_at[0] : participle_at[1]]
        negated = re.search(r"\bnot\b|n['’]t|\bnever\b", sentence[verb[1] : participle_at[0]])
        predicate = participle if negated else "not " + participle
        return _object_clause(sentence, verb[0], participle_at[1], predicate)
    return None
