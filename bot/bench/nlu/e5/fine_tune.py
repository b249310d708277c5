"""Fine-tune the encoder's upper layers and a linear head over cached lower-layer states.

Only layers `split`..`top` run per step: the frozen layers' outputs are computed once
(`E5Encoder.lower(..., keep_states=True)`), which makes an epoch about three times cheaper
than full fine-tuning on a CPU. Recipe (docs/benchmarks.md, "Fine-tuned e5"): AdamW, linear
warm-up then decay, label smoothing, dropout, mean pool, batches of similar length.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf
from numpy.typing import NDArray

from bot.nlu.e5.encoder import E5Encoder, mean_pool, pad

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FineTuneSettings:
    epochs: float = 5.0
    learning_rate: float = 3e-4
    head_learning_rate: float = 2e-3
    batch_size: int = 32
    warmup: float = 0.06
    weight_decay: float = 0.01
    label_smoothing: float = 0.1
    dropout: float = 0.1
    seed: int = 0


@dataclass
class Head:
    weight: NDArray[np.float32]  # (hidden, intents)
    bias: NDArray[np.float32]  # (intents,)

    def log_probabilities(self, pooled: NDArray[np.float32]) -> NDArray[np.float32]:
        logits = pooled @ self.weight + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        log_p: NDArray[np.float32] = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return log_p


class _WarmupLinearDecay(tf.keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, base: float, warmup: int, total: int) -> None:
        self.base, self.warmup, self.total = float(base), max(1, int(warmup)), int(total)

    def __call__(self, step: Any) -> Any:
        s = tf.cast(step, tf.float32)
        return (
            self.base
            * tf.minimum(1.0, (s + 1.0) / self.warmup)
            * tf.maximum(0.0, (self.total - s) / max(1, self.total - self.warmup))
        )

    def get_config(self) -> dict[str, float | int]:
        return {"base": self.base, "warmup": self.warmup, "total": self.total}


def _batches(lengths: NDArray[np.int_], size: int, rng: np.random.Generator) -> list[NDArray[np.intp]]:
    """Shuffled batches; within chunks of 50 batches, similar lengths go together."""
    order, batches = rng.permutation(len(lengths)), []
    for start in range(0, len(order), size * 50):
        chunk = order[start : start + size * 50]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[b : b + size] for b in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def fine_tune(
    encoder: E5Encoder,
    states: list[NDArray[np.float32]],
    labels: NDArray[np.int_],
    n_labels: int,
    settings: FineTuneSettings,
) -> Head:
    """Trains the encoder's upper layers in place; returns the head."""
    rng = np.random.default_rng(settings.seed)
    tf.random.set_seed(settings.seed)
    hidden = encoder.hidden
    bound = 1.0 / math.sqrt(hidden)
    head_w = tf.Variable(rng.uniform(-bound, bound, (hidden, n_labels)).astype(np.float32), name="head_w")
    head_b = tf.Variable(rng.uniform(-bound, bound, (n_labels,)).astype(np.float32), name="head_b")
    encoder_vars, head_vars = list(encoder.trainable), [head_w, head_b]
    steps_per_epoch = math.ceil(len(states) / settings.batch_size)
    total = max(1, int(steps_per_epoch * settings.epochs))
    warmup = int(settings.warmup * total)

    def optimizer(rate: float) -> tf.keras.optimizers.Optimizer:
        return tf.keras.optimizers.AdamW(
            learning_rate=_WarmupLinearDecay(rate, warmup, total),
            weight_decay=settings.weight_decay,
            epsilon=1e-8,
            jit_compile=False,
        )

    encoder_opt, head_opt = optimizer(settings.learning_rate), optimizer(settings.head_learning_rate)
    smoothing = settings.label_smoothing

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, hidden], tf.float32),
            tf.TensorSpec([None, None], tf.float32),
            tf.TensorSpec([None], tf.int32),
        ]
    )
    def step(x: Any, mask: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            x = encoder.run(x, mask, encoder.split, encoder.top, dropout=settings.dropout)
            logits = tf.matmul(tf.nn.dropout(mean_pool(x, mask), settings.dropout), head_w) + head_b
            target = tf.one_hot(y, n_labels) * (1.0 - smoothing) + smoothing / n_labels
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(target, logits))
        grads = tape.gradient(loss, encoder_vars + head_vars)
        # zip without strict=: TensorFlow's autograph rewrites zip and does not know the argument.
        encoder_opt.apply_gradients(zip(grads[: len(encoder_vars)], encoder_vars))  # noqa: B905
        head_opt.apply_gradients(zip(grads[len(encoder_vars) :], head_vars))  # noqa: B905
        return loss

    lengths = np.array([s.shape[0] for s in states])
    labels = labels.astype(np.int32)
    done, started = 0, time.perf_counter()
    while done < total:
        for batch in _batches(lengths, settings.batch_size, rng):
            if done >= total:
                break
            x, mask = pad([states[i] for i in batch], width=hidden)
            loss = step(x, mask, labels[batch])
            done += 1
            if done % 100 == 0 or done == total:
                logger.debug(
                    "fine-tune step %d/%d loss %.3f (%.0f s)", done, total, float(loss), time.perf_counter() - started
                )
    return Head(head_w.numpy(), head_b.numpy())
