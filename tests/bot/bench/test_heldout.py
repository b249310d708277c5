"""Reading the final held-out file's questions (service ids, out-of-catalogue flag)."""

from __future__ import annotations

from pathlib import Path

from bot.bench.heldout import load_heldout

PASS = '[pass]{"entity": "service", "value": "reisepass"}'
PERSO = '[perso]{"entity": "service", "value": "personalausweis"}'
SAMPLE = f"""version: "3.1"
nlu:
- intent: ask_fees
  examples: |
    - was kostet ein {PASS} und ein {PERSO}
    - was kostet das
- intent: ask_fees
  metadata:
    out_of_catalogue: true
  examples: |
    - was kostet ein erbschein
"""


def test_questions_keep_service_ids_and_the_out_of_catalogue_flag(tmp_path: Path):
    path = tmp_path / "heldout.yml"
    path.write_text(SAMPLE, encoding="utf-8")
    questions = {q.text: q for q in load_heldout(path)}
    assert questions["was kostet ein pass und ein perso"].services == ("reisepass", "personalausweis")
    assert not questions["was kostet ein pass und ein perso"].out_of_catalogue
    assert questions["was kostet das"].services == ()
    assert questions["was kostet ein erbschein"].out_of_catalogue
    assert {q.intent for q in questions.values()} == {"ask_fees"}
