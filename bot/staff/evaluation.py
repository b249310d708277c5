"""Comparing a candidate model with the live one: metrics, a confusion matrix picture, changes.

Pure functions over predictions; `bot.staff.predict` produces the predictions in a subprocess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import PromotionRefused

FALLBACK = "nlu_fallback"


def metrics(truth: list[str], predicted: list[str]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    labels = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    return {
        "n": len(truth),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4) if truth else 0.0,
        "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4)
        if truth
        else 0.0,
        "per_intent": {
            label: {
                "precision": round(float(p), 3),
                "recall": round(float(r), 3),
                "f1": round(float(f), 3),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=False)
        },
    }


def compare(examples: list[dict[str, str]], live: list[str], candidate: list[str]) -> dict[str, Any]:
    """examples: [{text, intent, source}] with source "heldout" or "reviewed"; predictions aligned."""
    result: dict[str, Any] = {}
    for source in ("heldout", "reviewed"):
        index = [i for i, e in enumerate(examples) if e["source"] == source]
        truth = [examples[i]["intent"] for i in index]
        result[source] = {
            "live": metrics(truth, [live[i] for i in index]),
            "candidate": metrics(truth, [candidate[i] for i in index]),
        }
    result["changed"] = [
        {
            "text": e["text"],
            "source": e["source"],
            "expected": e["intent"],
            "live": old,
            "candidate": new,
            "better": new == e["intent"],
        }
        for e, old, new in zip(examples, live, candidate, strict=False)
        if old != new
    ]
    return result


def check_promotion(
    evaluation: dict[str, Any] | None, candidate: str, max_drop: float, live_now: float | None = None
) -> None:
    """Raise PromotionRefused when held-out accuracy drops by more than `max_drop` (or is unknown).
    `live_now`: the held-out accuracy of the model live now, when it is not the one the candidate
    was compared with (another model was promoted since); the stricter figure counts."""
    if not evaluation or "heldout" not in evaluation:
        raise PromotionRefused(candidate, float("nan"), float("nan"), max_drop)
    live = max(evaluation["heldout"]["live"]["accuracy"], live_now or 0.0)
    new = evaluation["heldout"]["candidate"]["accuracy"]
    if live - new > max_drop + 1e-9:
        raise PromotionRefused(candidate, live, new, max_drop)


def confusion_png(truth: list[str], predicted: list[str], target: Path, title: str) -> Path:
    """A confusion matrix picture (rows: expected intent, columns: predicted)."""
    import matplotlib  # type: ignore[import-untyped]  # matplotlib ships no type information

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-untyped]  # as above
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(truth) | set(predicted))
    matrix = confusion_matrix(truth, predicted, labels=labels)
    size = max(6.0, 0.42 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size), dpi=90)
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("vorhergesagt")
    ax.set_ylabel("erwartet")
    ax.set_title(title)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black",
                )
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target)
    plt.close(fig)
    return target
