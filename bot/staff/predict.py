"""Intent predictions of Rasa models, run as a subprocess so that the gateway never loads a model.

    python -m bot.staff.predict EXAMPLES.json OUT.json MODEL [MODEL ...]

EXAMPLES.json is a list of {"text": ...}; OUT.json maps each model path to its predicted intents.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path

from bot.infra.paths import REPO_ROOT
from bot.infra.rasa_env import rasa_env

logger = logging.getLogger(__name__)


async def _predict(model: str, texts: list[str]) -> list[str]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    return [(await agent.parse_message(text))["intent"]["name"] for text in texts]


def main(argv: list[str]) -> int:
    examples, out, *models = argv
    texts = [e["text"] for e in json.loads(Path(examples).read_text(encoding="utf-8"))]
    result = {model: asyncio.run(_predict(model, texts)) for model in models}
    Path(out).write_text(json.dumps(result), encoding="utf-8")
    return 0


def predict(models: list[Path], texts: list[str], work_dir: Path) -> dict[str, list[str]]:
    """Predicted intents of each model for `texts`, computed in a fresh Python process."""
    work_dir.mkdir(parents=True, exist_ok=True)
    examples, out = work_dir / "examples.json", work_dir / "predictions.json"
    examples.write_text(json.dumps([{"text": t} for t in texts], ensure_ascii=False), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "bot.staff.predict", str(examples), str(out), *map(str, models)],
        check=False,
        cwd=REPO_ROOT,
        env=rasa_env(),
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"])[-1]
        raise RuntimeError(f"prediction failed: {last_line}")
    predictions: dict[str, list[str]] = json.loads(out.read_text(encoding="utf-8"))
    return predictions


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main(sys.argv[1:]))
