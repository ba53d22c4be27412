import json
from pathlib import Path

from postmortems.linting import lint

CORPUS = Path(__file__).parent / "data" / "blame_corpus.jsonl"


def _rows() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]


def _is_flagged(text: str) -> bool:
    return any(finding.severity == "warning" for finding in lint(text))


def test_corpus_is_big_and_balanced_enough_to_mean_something():
    rows = _rows()
    blameful = [row for row in rows if row["blameful"]]
    assert len(rows) >= 300
    assert 0.40 <= len(blameful) / len(rows) <= 0.50
    assert {row["category"] for row in blameful} == {
        "named-cause",
        "blame",
        "counterfactual",
        "normative",
        "human-error",
        "judgement",
        "hindsight",
        "minimizing",
    }


def test_linter_precision_and_recall_on_the_corpus():
    rows = _rows()
    false_positives = [
        row["text"] for row in rows if not row["blameful"] and _is_flagged(row["text"])
    ]
    false_negatives = [
        row["text"] for row in rows if row["blameful"] and not _is_flagged(row["text"])
    ]
    true_positives = sum(1 for row in rows if row["blameful"]) - len(false_negatives)
    precision = true_positives / ((true_positives + len(false_positives)) or 1)
    recall = true_positives / sum(1 for row in rows if row["blameful"])
    report = "\n".join(
        [f"precision {precision:.3f}, recall {recall:.3f}"]
        + [f"false positive: {text}" for text in false_positives]
        + [f"false negative: {text}" for text in false_negatives]
    )
    assert precision >= 0.97 and recall >= 0.95, report


def test_corpus_has_hard_negatives_for_each_way_a_sentence_can_look_blameful():
    categories = {row["category"] for row in _rows() if not row["blameful"]}
    assert {"self-directed", "third-party", "quoted", "timeline"} <= categories
    assert sum(1 for row in _rows() if row["category"].startswith("tricky-")) >= 80
