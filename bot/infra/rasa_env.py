"""Environment for Rasa subprocesses: telemetry and error reporting off (no network, DSGVO)."""

from __future__ import annotations

import os

# A served model parses one message at a time; with one TensorFlow thread the e5 encoder's
# small matrix products run faster than with two (docs/benchmarks.md), and the other core is
# left to the gateway and the action server. Training keeps TensorFlow's default (all cores).
SERVING_TF_THREADS = {"TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"}

# Rasa reuses trained components from its cache (.rasa/cache) when their inputs are unchanged;
# benchmarks turn that off so a training time is always a training from scratch.
NO_TRAINING_CACHE = {"RASA_MAX_CACHE_SIZE": "0"}


def rasa_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", **extra}


def serve_single_threaded_here() -> bool:
    """`SERVING_TF_THREADS` for this process (benchmarks that parse in-process). Possible only
    before TensorFlow's first operation; returns whether TensorFlow now runs single-threaded."""
    import tensorflow as tf

    threading = tf.config.threading
    if threading.get_intra_op_parallelism_threads() == threading.get_inter_op_parallelism_threads() == 1:
        return True
    try:
        threading.set_intra_op_parallelism_threads(1)
        threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already runs in this process (e.g. under pytest)
        return False
    return True
