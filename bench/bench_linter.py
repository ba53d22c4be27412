"""Time lint() on a 10,000-word postmortem built from realistic sentences.

Usage: python bench/bench_linter.py [RUNS]   (prints median/p95 ms and words/ms)
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time

from common import REPO, p95

from postmortems.linting import lint

CORPUS = REPO / "tests" / "data" / "blame_corpus.jsonl"
HEADINGS = ["## Summary", "## Timeline", "## Impact", "## Contributing factors", "## Lessons"]
TARGET_WORDS = 10_000
PEOPLE = ["Priya Patel", "marcus", "Zoë"]


def build_document(seed: int = 7) -> str:
    """Paragraphs of mostly blameless sentences with a sprinkling of blameful ones."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    clean = [row["text"] for row in rows if not row["blameful"]]
    blameful = [row["text"] for row in rows if row["blameful"]]
    rng = random.Random(seed)
    parts: list[str] = ["# Checkout outage, 12 March"]
    words = 0
    while words < TARGET_WORDS:
        parts.append(rng.choice(HEADINGS))
        paragraph = [
            rng.choice(blameful) if rng.random() < 0.1 else rng.choice(clean)
            for _ in range(rng.randint(3, 7))
        ]
        if rng.random() < 0.3:
            parts.append("\n".join(f"- {sentence}" for sentence in paragraph))
        else:
            parts.append(" ".join(paragraph))
        words += sum(len(sentence.split()) for sentence in paragraph)
    return "\n\n".join(parts)


def time_lint(text: str, runs: int) -> list[float]:
    """Milliseconds of each of `runs` lints of `text`, after one that compiles the rules."""
    lint(text, people=PEOPLE)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        lint(text, people=PEOPLE)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    text = build_document()
    words = len(text.split())
    findings = lint(text, people=PEOPLE)
    timings = time_lint(text, runs)
    median = statistics.median(timings)
    print(f"{words} words, {len(text)} chars, {len(findings)} findings, {runs} runs")
    print(f"median {median:.2f} ms  p95 {p95(timings):.2f} ms  {words / median:.0f} words/ms")


if __name__ == "__main__":
    main()
