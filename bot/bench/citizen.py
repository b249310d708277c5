"""`make bench`: the citizen bot's NLU against Rasa's stock pipeline, honestly, in one run.

1. Stratified k-fold cross-validation over data/nlu (k=5) for our config.yml, and for Rasa's
   stock pipeline (bot/bench/stock-config.yml). DIET with 100 epochs takes about ten minutes per
   fold on 2 shared cores, so the stock CV uses a smaller k (`--stock-k`, default 2); our pipeline
   is then also cross-validated with the same k and folds, and the CV ratio compares those.
2. The FallbackClassifier thresholds that cross-validation would choose (bot/bench/tune_fallback.py);
   the held-out file plays no part in that.
3. Both pipelines trained on all of data/nlu (`rasa train nlu`, timed, no cache), each served by a
   local Rasa server, and the final held-out file tests/nlu/heldout.yml parsed over HTTP: intent
   accuracy and macro F1 (a fallback counts as wrong), service finding by the `service_resolution`
   of the parse, out-of-catalogue safety, parse p50/p95, model size.
4. Ratios ours/stock and the targets, printed and appended to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.infra.paths import CONFIG_FILE, MODELS_DIR, SPACY_PIPELINE_DIR, TRAINING_DATA
from bot.launcher.processes import Stack, free_ports
from bot.training import spacy_pipeline
from bot.training.model import train

from .cv import CvResult, cross_validate
from .heldout import FINAL_HELDOUT_FILE, HeldOutQuestion, load_heldout
from .report import append_row, machine_description, now, p50_p95
from .scoring import IntentScores, ServiceScores, intent_scores, ratio, service_scores
from .tune_fallback import configured_thresholds, tuning_summary

logger = logging.getLogger(__name__)

STOCK_CONFIG = Path(__file__).with_name("stock-config.yml")
NLU_DATA = TRAINING_DATA[0]
RAW_RESULTS = MODELS_DIR / "bench" / "citizen-last-run.json"
SECTION = "Citizen bot NLU vs Rasa's stock pipeline (`make bench`)"
HEADER = (
    "| date | machine | pipeline | CV acc (k=5) | CV acc (stock k) | CV macro F1 (stock k) | held-out n | "
    "held-out acc | held-out macro F1 | service first | first or offered | out-of-catalogue answered | "
    "training | model size | parse p50 | parse p95 |"
)
INTRO = (
    "One `make bench` run: stratified k-fold CV over `data/nlu` and the final held-out file "
    "`tests/nlu/heldout.yml` (never tuned on), for `config.yml` (ours) and Rasa's stock pipeline "
    "(`bot/bench/stock-config.yml`, the `rasa init` default), both trained on the same data in the same "
    'run (`rasa train nlu`, no cache). A fallback counts as wrong. "stock k": the smaller k the stock '
    "pipeline's CV uses (DIET, 100 epochs); ours is cross-validated on the same folds for the ratio. "
    "Service columns: held-out questions naming catalogue services, scored by the parse's "
    "`service_resolution` (first = the right service is the answer or the first button; offered = "
    "among the buttons); out-of-catalogue answered = questions about services the catalogue does not "
    'have that got a confident ("answer") service. Latency: `POST /model/parse` on a local Rasa server.'
)

# Targets of issue 11.
TARGET_MARGIN = 0.02
TARGET_FIRST = 0.90
TARGET_OFFERED = 0.95
TARGET_TRAINING_S = 120.0
TARGET_P95_MS = 30.0


@dataclass(frozen=True)
class HeldOutRun:
    intents: IntentScores
    services: ServiceScores
    train_seconds: float
    size_mb: float
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class PipelineRun:
    name: str
    cv_k5: IntentScores | None
    cv_stock_k: IntentScores
    heldout: HeldOutRun


def cv_scores(result: CvResult) -> IntentScores:
    return intent_scores(
        [p.example.intent for p in result.predictions], [p.parse["intent"]["name"] for p in result.predictions]
    )


def parse_over_http(model: Path, texts: Sequence[str], work_dir: Path) -> tuple[list[dict[str, Any]], list[float]]:
    """Serve `model` with a Rasa server on free loopback ports and parse every text over HTTP."""
    stack = Stack(free_ports(), model, env={"BUERGERBOT_DATA_DIR": str(work_dir)}, log_dir=work_dir / "logs")
    stack.start(("rasa",))
    try:
        stack.wait_ready(timeout=600)
        results, latencies = [], []
        with stack.rasa_api() as rasa:
            rasa.parse("warm-up")
            for text in texts:
                started = time.perf_counter()
                results.append(rasa.parse(text))
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        stack.stop()
    return results, latencies


def score_heldout(
    questions: Sequence[HeldOutQuestion], parses: Sequence[dict[str, Any]]
) -> tuple[IntentScores, ServiceScores]:
    intents = intent_scores([q.intent for q in questions], [p["intent"]["name"] for p in parses])
    pairs = list(zip(questions, parses, strict=True))
    services = service_scores(
        [(q.services, p) for q, p in pairs if q.services and not q.out_of_catalogue],
        [p for q, p in pairs if q.out_of_catalogue],
    )
    return intents, services


def train_and_evaluate(
    config: Path, questions: Sequence[HeldOutQuestion], work_dir: Path, name: str
) -> tuple[HeldOutRun, list[dict[str, Any]]]:
    started = time.perf_counter()
    model = train(config, work_dir / f"{name}.tar.gz", quiet=True, data=(NLU_DATA,), nlu_only=True, from_scratch=True)
    train_seconds = time.perf_counter() - started
    logger.info("%s trained on all of data/nlu in %.0f s", name, train_seconds)
    parses, latencies = parse_over_http(model, [q.text for q in questions], work_dir / f"{name}-serve")
    intents, services = score_heldout(questions, parses)
    p50, p95 = p50_p95(latencies)
    run = HeldOutRun(intents, services, train_seconds, model.stat().st_size / 2**20, p50, p95)
    return run, parses


def _pct(value: float) -> str:
    return f"{value:.3f}"


def row_of(run: PipelineRun, when: str, machine: str, stock_k: int) -> str:
    h = run.heldout
    s = h.services
    services = (
        (_pct(s.first), _pct(s.first_or_offered), f"{s.out_of_catalogue_confident_wrong}/{s.out_of_catalogue_n}")
        if s.resolver_present
        else ("no resolver", "no resolver", "no resolver")
    )
    cells = [
        when,
        machine,
        run.name,
        _pct(run.cv_k5.accuracy) if run.cv_k5 else "–",
        f"{_pct(run.cv_stock_k.accuracy)} (k={stock_k})",
        _pct(run.cv_stock_k.macro_f1),
        str(h.intents.n),
        _pct(h.intents.accuracy),
        _pct(h.intents.macro_f1),
        *services,
        f"{h.train_seconds:.0f} s",
        f"{h.size_mb:.1f} MB",
        f"{h.p50_ms:.1f} ms",
        f"{h.p95_ms:.1f} ms",
    ]
    return "| " + " | ".join(cells) + " |"


def ratio_row(ours: PipelineRun, stock: PipelineRun, when: str, machine: str) -> str:
    o, s = ours.heldout, stock.heldout
    cells = [
        when,
        machine,
        "ratio ours/stock",
        "–",
        f"{ratio(ours.cv_stock_k.accuracy, stock.cv_stock_k.accuracy):.3f}",
        f"{ratio(ours.cv_stock_k.macro_f1, stock.cv_stock_k.macro_f1):.3f}",
        "–",
        f"{ratio(o.intents.accuracy, s.intents.accuracy):.3f}",
        f"{ratio(o.intents.macro_f1, s.intents.macro_f1):.3f}",
        "–",
        "–",
        "–",
        f"{ratio(o.train_seconds, s.train_seconds):.3f}",
        f"{ratio(o.size_mb, s.size_mb):.3f}",
        f"{ratio(o.p50_ms, s.p50_ms):.3f}",
        f"{ratio(o.p95_ms, s.p95_ms):.3f}",
    ]
    return "| " + " | ".join(cells) + " |"


def target_lines(ours: PipelineRun, stock: PipelineRun) -> list[str]:
    o = ours.heldout
    checks = [
        (
            "held-out intent accuracy >= stock + 2 points",
            o.intents.accuracy - stock.heldout.intents.accuracy >= TARGET_MARGIN,
            f"{o.intents.accuracy:.3f} vs {stock.heldout.intents.accuracy:.3f}",
        ),
        (
            "CV intent accuracy >= stock + 2 points (same folds)",
            ours.cv_stock_k.accuracy - stock.cv_stock_k.accuracy >= TARGET_MARGIN,
            f"{ours.cv_stock_k.accuracy:.3f} vs {stock.cv_stock_k.accuracy:.3f}",
        ),
        (
            "right service first or offered >= 95 %",
            o.services.first_or_offered >= TARGET_OFFERED,
            f"{o.services.first_or_offered:.3f} of {o.services.n}",
        ),
        ("right service first >= 90 %", o.services.first >= TARGET_FIRST, f"{o.services.first:.3f}"),
        (
            "no confident wrong service out of catalogue",
            o.services.resolver_present and o.services.out_of_catalogue_confident_wrong == 0,
            f"{o.services.out_of_catalogue_confident_wrong}/{o.services.out_of_catalogue_n} answered"
            + ("" if o.services.resolver_present else " (no service_resolution in the parse)"),
        ),
        ("training <= 2 min", o.train_seconds <= TARGET_TRAINING_S, f"{o.train_seconds:.0f} s"),
        ("parse p95 <= 30 ms", o.p95_ms <= TARGET_P95_MS, f"{o.p95_ms:.1f} ms"),
    ]
    return [f"  [{'met' if ok else 'MISSED'}] {name}: {detail}" for name, ok, detail in checks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", type=int, default=5, help="folds for our pipeline's CV (default 5)")
    parser.add_argument("--stock-k", type=int, default=2, help="folds for the stock pipeline's CV (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--heldout", type=Path, default=FINAL_HELDOUT_FILE)
    parser.add_argument("--no-record", action="store_true", help="print only, do not append to docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    started = time.perf_counter()
    spacy_pipeline.ensure(SPACY_PIPELINE_DIR)
    with tempfile.TemporaryDirectory(prefix="citizen-bench-") as tmp:
        work = Path(tmp)
        ours_k5 = cross_validate(CONFIG_FILE, NLU_DATA, work, args.k, args.seed, name="ours-k")
        ours_small = (
            ours_k5
            if args.stock_k == args.k
            else cross_validate(CONFIG_FILE, NLU_DATA, work, args.stock_k, args.seed, name="ours-stock-k")
        )
        stock_cv = cross_validate(STOCK_CONFIG, NLU_DATA, work, args.stock_k, args.seed, name="stock")
        tuning = tuning_summary(ours_k5, configured_thresholds(CONFIG_FILE))
        questions = load_heldout(args.heldout)
        ours_heldout, ours_parses = train_and_evaluate(CONFIG_FILE, questions, work, "ours")
        stock_heldout, stock_parses = train_and_evaluate(STOCK_CONFIG, questions, work, "stock")
    ours = PipelineRun("ours (config.yml)", cv_scores(ours_k5), cv_scores(ours_small), ours_heldout)
    stock = PipelineRun("Rasa stock (rasa init)", None, cv_scores(stock_cv), stock_heldout)
    when, machine = now(), machine_description()
    rows = [row_of(ours, when, machine, args.stock_k), row_of(stock, when, machine, args.stock_k)]
    rows.append(ratio_row(ours, stock, when, machine))
    minutes = (time.perf_counter() - started) / 60
    print(HEADER)
    print(*rows, sep="\n")
    print(
        f"CV fold training (s): ours k={args.k} {[round(s) for s in ours_k5.train_seconds]}, "
        f"stock k={args.stock_k} {[round(s) for s in stock_cv.train_seconds]}"
    )
    print(*tuning, sep="\n")
    print("Targets:", *target_lines(ours, stock), sep="\n")
    print(f"bench duration: {minutes:.1f} min")
    _save_raw(questions, ours_parses, stock_parses, ours, stock)
    if not args.no_record:
        for row in rows:
            append_row(SECTION, HEADER, row, intro=INTRO)
    return 0


def _save_raw(
    questions: Sequence[HeldOutQuestion],
    ours_parses: Sequence[dict[str, Any]],
    stock_parses: Sequence[dict[str, Any]],
    ours: PipelineRun,
    stock: PipelineRun,
) -> None:
    """Every held-out prediction of the last run (for error analysis; models/ is not committed)."""
    RAW_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "question": asdict(q),
            "ours": {"intent": o["intent"]["name"], "service_resolution": o.get("service_resolution")},
            "stock": {"intent": s["intent"]["name"]},
        }
        for q, o, s in zip(questions, ours_parses, stock_parses, strict=True)
    ]
    summary = {"ours": asdict(ours), "stock": asdict(stock), "predictions": records}
    RAW_RESULTS.write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
