"""Sentence-level precision and recall of the blameless linter on a labelled JSONL corpus.

Usage: python bench/lint_corpus.py [CORPUS.jsonl]   (default: tests/data/blame_corpus.jsonl)
Each line is {"text": ..., "blameful": true|false, "category": ...}; a sentence counts as
flagged when lint() reports at least one warning in it. Prints precision and recall overall
and per category, then every miss and false alarm.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from postmortems.linting import lint  # noqa: E402

DEFAULT_CORPUS = REPO / "tests" / "data" / "blame_corpus.jsonl"


def is_flagged(text: str) -> bool:
    return any(finding.severity == "warning" for finding in lint(text))


def evaluate(rows: list[dict]) -> dict:
    counts = Counter()
    by_category: dict[str, Counter] = {}
    misclassified = []
    for row in rows:
        flagged = is_flagged(row["text"])
        outcome = {
            (True, True): "tp",
            (False, True): "fp",
            (True, False): "fn",
            (False, False): "tn",
        }[(row["blameful"], flagged)]
        counts[outcome] += 1
        by_category.setdefault(row.get("category", "?"), Counter())[outcome] += 1
        if outcome in ("fp", "fn"):
            misclassified.append((outcome, row))
    precision = counts["tp"] / ((counts["tp"] + counts["fp"]) or 1)
    recall = counts["tp"] / ((counts["tp"] + counts["fn"]) or 1)
    return {
        "precision": precision,
        "recall": recall,
        "counts": counts,
        "by_category": by_category,
        "misclassified": misclassified,
    }


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    result = evaluate(rows)
    counts = result["counts"]
    print(f"{path}: {len(rows)} sentences")
    print(f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  {dict(counts)}")
    print("\nper category: tp fp fn tn, precision, recall")
    for category, c in sorted(result["by_category"].items()):
        precision = c["tp"] / ((c["tp"] + c["fp"]) or 1) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / ((c["tp"] + c["fn"]) or 1) if c["tp"] + c["fn"] else 1.0
        print(
            f"  {category:28} {c['tp']:3} {c['fp']:3} {c['fn']:3} {c['tn']:3}"
            f"   {precision:.2f} {recall:.2f}"
        )
    misses = [row for outcome, row in result["misclassified"] if outcome == "fn"]
    false_alarms = [row for outcome, row in result["misclassified"] if outcome == "fp"]
    for title, rows in (("misses", misses), ("false alarms", false_alarms)):
        print(f"\n{title}: {len(rows)}")
        for row in rows:
            rules = sorted({finding.rule for finding in lint(row["text"])})
            print(f"  [{row.get('category')}] {row['text']}  {rules}")


if __name__ == "__main__":
    main()
