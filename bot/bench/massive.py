"""`make bench-nlu`: the project's NLU pipeline on Amazon MASSIVE de-DE (and xSID de as a style check).

Trains on the MASSIVE train split, reports on the test split: intent accuracy, slot micro F1
on exact spans, training time, p50/p95 parse latency and peak memory, next to a TF-IDF +
LinearSVC baseline measured in the same run. The data file is read where it lies (CC BY 4.0,
never committed here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.infra.paths import MODELS_DIR, REPO_ROOT, SPACY_PIPELINE_DIR
from bot.infra.rasa_env import NO_TRAINING_CACHE, rasa_env, serve_single_threaded_here
from bot.training import spacy_pipeline

from .report import append_row, machine_description, now, p50_p95

logger = logging.getLogger(__name__)
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "benchmarks" / "massive-de" / "de-DE.jsonl"
DEFAULT_XSID = REPO_ROOT.parent / "shared" / "benchmarks" / "xsid-de" / "de.test.conll"
DEFAULT_CONFIG = Path(__file__).with_name("massive-config.yml")
MODEL_PATH = MODELS_DIR / "bench" / "massive-de.tar.gz"
_SLOT = re.compile(r"\[(?P<type>[^:\]]+?) : (?P<words>[^\]]*?)\]")
# xSID intents that MASSIVE also has (MASSIVE files reminders under calendar).
XSID_TO_MASSIVE = {
    "alarm/set_alarm": "alarm_set",
    "alarm/cancel_alarm": "alarm_remove",
    "alarm/show_alarms": "alarm_query",
    "weather/find": "weather_query",
    "PlayMusic": "play_music",
    "reminder/set_reminder": "calendar_set",
    "reminder/show_reminders": "calendar_query",
    "reminder/cancel_reminder": "calendar_remove",
}
HEADER = (
    "| date | machine | config | train n | test n | intent acc | baseline acc (TF-IDF+SVC) | slot F1 | "
    "training | baseline training | parse p50 | parse p95 | peak memory |"
)


@dataclass(frozen=True)
class Utterance:
    text: str
    intent: str
    spans: tuple[tuple[str, int, int], ...] = ()


def parse_annotation(annotated: str) -> tuple[str, tuple[tuple[str, int, int], ...]]:
    """ "wecke mich [time : fünf uhr]" -> ("wecke mich fünf uhr", (("time", 11, 19),))."""
    text, spans, last = "", [], 0
    for match in _SLOT.finditer(annotated):
        text += annotated[last : match.start()]
        start = len(text)
        text += match.group("words")
        spans.append((match.group("type").strip(), start, len(text)))
        last = match.end()
    return text + annotated[last:], tuple(spans)


def load_massive(path: Path, limit: int | None = None) -> dict[str, list[Utterance]]:
    splits: dict[str, list[Utterance]] = {"train": [], "dev": [], "test": []}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if limit is not None and number >= limit:
                break
            record = json.loads(line)
            text, spans = parse_annotation(record["annot_utt"])
            splits[record["partition"]].append(Utterance(text, record["intent"], spans))
    return splits


def load_xsid(path: Path) -> list[Utterance]:
    utterances, text, intent = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# text = "):
            text = line.removeprefix("# text = ")
        elif line.startswith("# intent = "):
            intent = line.removeprefix("# intent = ")
        elif not line.strip() and text is not None:
            if intent in XSID_TO_MASSIVE:
                utterances.append(Utterance(text, XSID_TO_MASSIVE[intent]))
            text, intent = None, None
    if text is not None and intent in XSID_TO_MASSIVE:
        utterances.append(Utterance(text, XSID_TO_MASSIVE[intent]))
    return utterances


def write_training_data(utterances: list[Utterance], target: Path) -> Path:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = [
        Message(
            data={
                "text": u.text,
                "intent": u.intent,
                "entities": [{"entity": t, "start": s, "end": e, "value": u.text[s:e]} for t, s, e in u.spans],
            }
        )
        for u in utterances
    ]
    RasaYAMLWriter().dump(target, TrainingData(training_examples=messages))
    return target


def train(config: Path, data: Path, out: Path) -> tuple[Path, float, float]:
    """(model, seconds, peak MB of the training process)."""
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(data),
            "--out",
            str(out.parent),
            "--fixed-model-name",
            out.name.removesuffix(".tar.gz"),
        ],
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        env=rasa_env(**NO_TRAINING_CACHE),
    )
    seconds = time.perf_counter() - started
    return out, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


@dataclass
class Scores:
    n: int
    intent_accuracy: float
    slot_f1: float
    p50_ms: float
    p95_ms: float


def slot_f1(gold: list[set[tuple[str, int, int]]], predicted: list[set[tuple[str, int, int]]]) -> float:
    """Micro F1 over exact (type, start, end) spans."""
    true_positives = sum(len(g & p) for g, p in zip(gold, predicted, strict=False))
    n_gold, n_predicted = sum(map(len, gold)), sum(map(len, predicted))
    if not n_gold and not n_predicted:
        return 1.0
    precision = true_positives / n_predicted if n_predicted else 0.0
    recall = true_positives / n_gold if n_gold else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def evaluate(model: Path, utterances: list[Utterance]) -> Scores:
    """Parses one utterance at a time, as a served model does (one TensorFlow thread)."""
    from rasa.core.agent import Agent

    if not serve_single_threaded_here():
        logger.warning("TensorFlow already started here; latency is measured with its current threads")
    agent = Agent.load(str(model))

    async def parse_all() -> tuple[list[dict[str, Any]], list[float]]:
        await agent.parse_message("warm-up")
        results, latencies = [], []
        for utterance in utterances:
            started = time.perf_counter()
            results.append(await agent.parse_message(utterance.text))
            latencies.append((time.perf_counter() - started) * 1000)
        return results, latencies

    results, latencies = asyncio.run(parse_all())
    correct = sum(r["intent"]["name"] == u.intent for r, u in zip(results, utterances, strict=False))
    gold = [set(u.spans) for u in utterances]
    predicted = [{(e["entity"], e["start"], e["end"]) for e in r.get("entities", [])} for r in results]
    return Scores(len(utterances), correct / len(utterances), slot_f1(gold, predicted), *p50_p95(latencies))


def baseline(train_set: list[Utterance], test_set: list[Utterance]) -> tuple[float, float]:
    """TF-IDF (char_wb 2-5 + word 1-2, sublinear) + LinearSVC(C=0.5): (accuracy, seconds)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    started = time.perf_counter()
    model = make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        ),
        LinearSVC(C=0.5),
    )
    model.fit([u.text for u in train_set], [u.intent for u in train_set])
    seconds = time.perf_counter() - started
    predicted = model.predict([u.text for u in test_set])
    return sum(p == u.intent for p, u in zip(predicted, test_set, strict=False)) / len(test_set), seconds


def run(data: Path, config: Path, model_path: Path, limit: int | None, xsid: Path | None, record: bool) -> str:
    splits = load_massive(data, limit)
    base_accuracy, base_seconds = baseline(splits["train"], splits["test"])
    with tempfile.TemporaryDirectory() as tmp:
        train_file = write_training_data(splits["train"], Path(tmp) / "massive-train.yml")
        model, train_seconds, train_peak_mb = train(config, train_file, model_path)
    scores = evaluate(model, splits["test"])
    peak_mb = max(train_peak_mb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    summary = (
        f"MASSIVE de-DE: intent_acc={scores.intent_accuracy:.3f} slot_f1={scores.slot_f1:.3f} "
        f"train_s={train_seconds:.0f} p95_ms={scores.p95_ms:.0f}"
    )
    details = (
        f"baseline TF-IDF+LinearSVC: intent_acc={base_accuracy:.3f} train_s={base_seconds:.1f}; "
        f"ratio={scores.intent_accuracy / base_accuracy:.3f}; p50_ms={scores.p50_ms:.1f}; peak_mb={peak_mb:.0f}; "
        f"train n={len(splits['train'])}, test n={scores.n}"
    )
    print(details)
    if record:
        append_row(
            "MASSIVE de-DE (`make bench-nlu`)",
            HEADER,
            f"| {now()} | {machine_description()} | {config.name} | {len(splits['train'])} | {scores.n} | "
            f"{scores.intent_accuracy:.3f} | {base_accuracy:.3f} | {scores.slot_f1:.3f} | {train_seconds:.0f} s | "
            f"{base_seconds:.1f} s | {scores.p50_ms:.1f} ms | {scores.p95_ms:.1f} ms | {peak_mb:.0f} MB |",
            intro="Official test split (2,974 utterances); trained on the train split only. "
            "Slot F1: micro F1 over exact (type, start, end) spans.",
        )
    if xsid is not None and xsid.exists():
        evaluate_xsid(model, xsid, config, record)
    print(summary)
    return summary


def evaluate_xsid(model: Path, xsid: Path, config: Path, record: bool) -> str:
    scores = evaluate(model, load_xsid(xsid))
    line = f"xSID de (shared intents, model trained on MASSIVE): intent_acc={scores.intent_accuracy:.3f} n={scores.n}"
    print(line)
    if record:
        append_row(
            "xSID de, shared intents (`make bench-xsid`)",
            "| date | machine | config | n | intent acc |",
            f"| {now()} | {machine_description()} | {config.name} | {scores.n} | {scores.intent_accuracy:.3f} |",
            intro="The MASSIVE-trained model on xSID's German test file (a different, written style), "
            "only the intents both sets share: " + ", ".join(f"{k} → {v}" for k, v in XSID_TO_MASSIVE.items()) + ".",
        )
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("--model", type=Path, default=MODEL_PATH)
    parser.add_argument("--limit", type=int, help="read only the first N lines (smoke runs)")
    parser.add_argument(
        "--xsid",
        type=Path,
        nargs="?",
        const=DEFAULT_XSID,
        default=None,
        help="also evaluate on xSID de (shared intents)",
    )
    parser.add_argument(
        "--xsid-only", action="store_true", help="evaluate the kept MASSIVE model on xSID (trains it first if missing)"
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.xsid_only and args.model.exists():
        evaluate_xsid(args.model, args.xsid or DEFAULT_XSID, args.config, record=not args.no_record)
        return 0
    if not args.data.exists():
        print(f"MASSIVE file not found: {args.data} (see ../shared/benchmarks/README.md)", file=sys.stderr)
        return 2
    run(args.data, args.config, args.model, args.limit, args.xsid, record=not args.no_record and args.limit is None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
