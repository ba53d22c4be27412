"""Time lint() on a 10,000-word postmortem built from realistic sentences, adversarial
text of 10,000 and 100,000 words, and the lint endpoint on a 2,000-word field.

Usage: python bench/bench_linter.py [RUNS] [--endpoint]
Targets: 10,000 words in 20 ms; 100,000 adversarial words at most 12 times 10,000;
the endpoint (with --endpoint, on a throwaway SQLite database) in 50 ms of server time.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable

from common import REPO, p95, setup_django, throwaway_database

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


def time_lint(text: str, runs: int, clock: Callable[[], float] = time.perf_counter) -> list[float]:
    """Milliseconds of each of `runs` lints of `text`, after one that compiles the rules.
    With clock=time.process_time, the CPU time: what the lint costs on a shared machine,
    where other processes stretch the wall-clock time."""
    lint(text, people=PEOPLE)
    timings = []
    for _ in range(runs):
        start = clock()
        lint(text, people=PEOPLE)
        timings.append((clock() - start) * 1000)
    return timings


def adversarial(words: int) -> str:
    """Trigger words, Markdown and quote openers, no sentence ends: the worst case for windows."""
    vocabulary = [
        "should",
        "have",
        "obviously",
        "the",
        "engineer",
        "failed",
        "to",
        "did",
        "not",
        "check",
        "never",
        "Anna",
        "who",
        "why",
        "how",
        "could",
        "if",
        "had",
        "a",
        "more",
        "careful",
        "reviewer",
        "would",
        "root",
        "cause",
        "was",
        "human",
        "error",
        "```",
        '"',
        "“",
        "|",
        ">",
        "#",
        "-",
        "*",
        "`code`",
        "Priya's",
        "sloppy",
        "fault",
        "skipped",
        "took",
        "down",
        "without",
        "review",
        "just",
        "had",
        "to",
        "🔥",
    ]
    return " ".join(vocabulary[(index * 7919) % len(vocabulary)] for index in range(words))


def time_endpoint(words: int, runs: int) -> list[float]:
    """Server time of POST /lint/ for a `words`-word field, through Django's test client."""
    with throwaway_database(None) as url:
        setup_django(url)
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse

        user = get_user_model().objects.create_user("bench-writer", password="x")
        client = Client()
        client.force_login(user)
        text = " ".join(build_document().split()[:words])
        endpoint = reverse("postmortems:lint_check")

        def post() -> float:
            started = time.perf_counter()
            response = client.post(endpoint, {"text": text})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200
            return elapsed

        post()
        return [post() for _ in range(runs)]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 50
    text = build_document()
    words = len(text.split())
    findings = lint(text, people=PEOPLE)
    timings = time_lint(text, runs)
    median = statistics.median(timings)
    cpu = statistics.median(time_lint(text, runs, time.process_time))
    print(f"{words} words, {len(text)} chars, {len(findings)} findings, {runs} runs")
    print(f"median {median:.2f} ms  p95 {p95(timings):.2f} ms  {words / median:.0f} words/ms")
    print(f"  CPU time: median {cpu:.2f} ms")
    # CPU time: a run of 100,000 words is preempted more often than one of 10,000.
    small = min(time_lint(adversarial(10_000), 5, time.process_time))
    large = min(time_lint(adversarial(100_000), 3, time.process_time))
    print(f"adversarial, CPU time: 10,000 words {small:.1f} ms, 100,000 words {large:.1f} ms, ")
    print(f"  {large / small:.1f} times as long (target at most 12)")
    if "--endpoint" in sys.argv:
        timings = time_endpoint(2_000, runs)
        print(
            f"lint endpoint, 2,000 words: median {statistics.median(timings):.1f} ms "
            f"p95 {p95(timings):.1f} ms (target 50)"
        )


if __name__ == "__main__":
    main()
