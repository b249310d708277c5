"""Builds the German spaCy pipeline offline: spacy.blank("de") plus the lookup lemmatizer.

No German model package can be downloaded here; spacy-lookups-data ships the lemma tables,
and the built pipeline (tables included) is saved to disk for Rasa's SpacyNLP to load.
"""

from __future__ import annotations

import logging
from pathlib import Path

logger = logging.getLogger(__name__)

PIPELINE_NAME = "buergerbot_de"


def build(target: Path) -> Path:
    import spacy  # heavy import, only when building

    nlp = spacy.blank("de")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = "Blank German tokenizer with lookup lemmatizer (spacy-lookups-data)."
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    logger.info("built German spaCy pipeline at %s", target)
    return target


def ensure(target: Path) -> Path:
    if (target / "meta.json").exists():
        return target
    return build(target)
