"""`make bench`: NLU quality and speed of the bot's own model, appended to docs/benchmarks.md.

Trains the current config.yml from scratch (timed), then starts a Rasa server on a free port
and parses the held-out file over HTTP: intent accuracy, macro F1, p50/p95 parse latency.
"""
from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bot.nlu import spacy_pipeline
from bot.paths import CONFIG_FILE, DOMAIN_FILE, REPO_ROOT, SPACY_PIPELINE_DIR, TRAINING_DATA
from bot.processes import Ports, Stack
from bot.rasa_env import rasa_env

from .report import append_row, machine_description, now

HELD_OUT = REPO_ROOT / "tests" / "nlu" / "test_nlu.yml"
HEADER = "| date | machine | held-out n | intent accuracy | macro F1 | training | model size | parse p50 | parse p95 |"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def train_timed(out_dir: Path) -> tuple[Path, float]:
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--config", str(CONFIG_FILE), "--domain", str(DOMAIN_FILE),
         "--data", *map(str, TRAINING_DATA), "--out", str(out_dir), "--fixed-model-name", "bench"],
        cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=rasa_env(),
    )
    return out_dir / "bench.tar.gz", time.perf_counter() - started


def evaluate(rasa_url: str) -> dict[str, float]:
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import accuracy_score, f1_score

    examples = load_data(str(HELD_OUT)).intent_examples
    truth, predicted, latencies = [], [], []
    with httpx.Client(base_url=rasa_url, timeout=30) as client:
        client.post("/model/parse", json={"text": "warm-up"})
        for example in examples:
            started = time.perf_counter()
            result = client.post("/model/parse", json={"text": example.get("text")}).json()
            latencies.append((time.perf_counter() - started) * 1000)
            truth.append(example.get("intent"))
            predicted.append(result["intent"]["name"])
    latencies.sort()
    return {
        "n": len(examples),
        "accuracy": accuracy_score(truth, predicted),
        "macro_f1": f1_score(truth, predicted, average="macro", labels=sorted(set(truth)), zero_division=0),
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        model, train_seconds = train_timed(Path(tmp))
        size_mb = model.stat().st_size / 2**20
        stack = Stack(Ports(backend=_free_port(), actions=_free_port(), rasa=_free_port()), model,
                      log_dir=Path(tmp) / "logs")
        stack.start(("rasa",))
        try:
            stack.wait_ready(timeout=300)
            result = evaluate(stack.rasa_url)
        finally:
            stack.stop()
    row = (f"| {now()} | {machine_description()} | {result['n']} | {result['accuracy']:.3f} | "
           f"{result['macro_f1']:.3f} | {train_seconds:.0f} s | {size_mb:.1f} MB | {result['p50_ms']:.1f} ms | "
           f"{result['p95_ms']:.1f} ms |")
    print(HEADER)
    print(row)
    append_row("Citizen bot NLU (`make bench`)", HEADER, row,
               intro="Held-out file: `tests/nlu/test_nlu.yml` (written independently of the training data, "
                     "never trained on). Pipeline: see `config.yml`. Training is `rasa train` from scratch "
                     "(NLU and policies); latency is `POST /model/parse` on a local Rasa server.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
