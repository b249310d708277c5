"""`make bench`: NLU quality and speed of the bot's own model, appended to docs/benchmarks.md.

Trains the current config.yml from scratch (timed), then starts a Rasa server on a free port
and parses the held-out file over HTTP: intent accuracy, macro F1, p50/p95 parse latency.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bot.infra.paths import CONFIG_FILE, HELDOUT_NLU_FILE, SPACY_PIPELINE_DIR
from bot.infra.rasa_client import RasaApi
from bot.launcher.processes import Stack, free_ports
from bot.training import spacy_pipeline
from bot.training.model import train

from .report import append_row, machine_description, now, p50_p95

HELD_OUT = HELDOUT_NLU_FILE
HEADER = "| date | machine | held-out n | intent accuracy | macro F1 | training | model size | parse p50 | parse p95 |"


def train_timed(out_dir: Path) -> tuple[Path, float]:
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)  # built before the clock starts
    started = time.perf_counter()
    model = train(CONFIG_FILE, out_dir / "bench.tar.gz", quiet=True, from_scratch=True)
    return model, time.perf_counter() - started


def evaluate(rasa: RasaApi) -> dict[str, float]:
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import accuracy_score, f1_score

    examples = load_data(str(HELD_OUT)).intent_examples
    truth, predicted, latencies = [], [], []
    rasa.parse("warm-up")
    for example in examples:
        started = time.perf_counter()
        result = rasa.parse(example.get("text"))
        latencies.append((time.perf_counter() - started) * 1000)
        truth.append(example.get("intent"))
        predicted.append(result["intent"]["name"])
    p50, p95 = p50_p95(latencies)
    return {
        "n": len(examples),
        "accuracy": accuracy_score(truth, predicted),
        "macro_f1": f1_score(truth, predicted, average="macro", labels=sorted(set(truth)), zero_division=0),
        "p50_ms": p50,
        "p95_ms": p95,
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        model, train_seconds = train_timed(Path(tmp))
        size_mb = model.stat().st_size / 2**20
        stack = Stack(free_ports(), model, log_dir=Path(tmp) / "logs")
        stack.start(("rasa",))
        try:
            stack.wait_ready(timeout=300)
            result = evaluate(stack.rasa_api())
        finally:
            stack.stop()
    row = (
        f"| {now()} | {machine_description()} | {result['n']} | {result['accuracy']:.3f} | "
        f"{result['macro_f1']:.3f} | {train_seconds:.0f} s | {size_mb:.1f} MB | {result['p50_ms']:.1f} ms | "
        f"{result['p95_ms']:.1f} ms |"
    )
    print(HEADER)
    print(row)
    append_row(
        "Citizen bot NLU (`make bench`)",
        HEADER,
        row,
        intro="Held-out file: `tests/nlu/test_nlu.yml` (written independently of the training data, "
        "never trained on). Pipeline: see `config.yml`. Training is `rasa train` from scratch "
        "(NLU and policies); latency is `POST /model/parse` on a local Rasa server.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
