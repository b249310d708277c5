"""multilingual-e5-small in plain TensorFlow ops, split at a layer into a frozen lower part and
an optionally trainable upper part.

The lower part (embeddings and layers below `split`) is constant; its outputs are computed once
per text, mean-pooled as a sentence feature and, for fine-tuning, cached. The upper part (layers
`split`..`top`; none in the bot, where top == split) holds variables that the benchmark's
`bot.bench.nlu.e5.fine_tune` trains. Texts are batched by length, so padding
stays small; a single text runs unpadded.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from numpy.typing import NDArray

from .weights import E5Image

PAD_ID = 1


def layer_norm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: float) -> tf.Tensor:
    mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
    return (x - mean) * tf.math.rsqrt(variance + eps) * weight + bias


def mean_pool(states: tf.Tensor, mask: tf.Tensor | None) -> tf.Tensor:
    """Mean over the tokens; `mask` None means an unpadded batch."""
    if mask is None:
        return tf.reduce_mean(states, 1)
    mask = mask[..., None]
    return tf.reduce_sum(states * mask, 1) / tf.reduce_sum(mask, 1)


def pad(
    sequences: Sequence[NDArray[np.float32] | list[int]], width: int | None = None
) -> tuple[NDArray[Any], NDArray[np.float32]]:
    """Right-pad id lists (or (T, H) arrays) to one batch; returns (batch, mask)."""
    longest = max(len(s) for s in sequences)
    mask = np.zeros((len(sequences), longest), np.float32)
    batch: NDArray[Any]
    if width is None:
        batch = np.full((len(sequences), longest), PAD_ID, np.int32)
    else:
        batch = np.zeros((len(sequences), longest, width), np.float32)
    for row, sequence in enumerate(sequences):
        batch[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1.0
    return batch, mask


def truncate(ids: list[int], limit: int) -> list[int]:
    """At most `limit` token ids: the first ones and the closing (EOS) id, which e5 was trained
    with. Longer texts would index past the position table."""
    return ids if len(ids) <= limit else [*ids[: limit - 1], ids[-1]]


def by_length(lengths: list[int] | NDArray[np.int_], size: int) -> Iterator[NDArray[np.intp]]:
    """Indices in batches of similar length (less padding)."""
    order = np.argsort(lengths, kind="stable")
    for start in range(0, len(order), size):
        yield order[start : start + size]


class E5Encoder(tf.Module):
    """Layers [0, split) frozen, layers [split, top) trainable (top <= 12)."""

    def __init__(
        self, image: E5Image, split: int, top: int | None = None, upper: list[NDArray[np.float32]] | None = None
    ) -> None:
        super().__init__(name="e5")
        dims = image.dims
        self.hidden, self.heads, self.eps = dims.hidden, dims.heads, dims.eps
        self.split, self.top = split, dims.layers if top is None else top
        self.max_tokens = dims.positions  # 512: the longest id sequence the position table covers
        if not 0 < split <= self.top <= dims.layers:
            raise ValueError(f"need 0 < split ({split}) <= top ({self.top}) <= {dims.layers}")
        embeddings = image.embeddings()
        self._word = tf.constant(embeddings["word"])
        self._position = tf.constant(embeddings["position"])
        self._type = tf.constant(embeddings["type"])
        self._norm = (tf.constant(embeddings["norm_w"]), tf.constant(embeddings["norm_b"]))
        self._layers: list[dict[str, tf.Tensor]] = []
        self.trainable: list[tf.Variable] = []
        for index in range(self.top):
            params = image.layer(index)
            if index < split:
                self._layers.append({k: tf.constant(v) for k, v in params.items()})
            else:
                variables = {k: tf.Variable(v, name=f"l{index}_{k}") for k, v in sorted(params.items())}
                self.trainable.extend(variables.values())
                self._layers.append(variables)
        if upper is not None:
            self.set_upper(upper)
        ids_spec, mask_spec = tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None, None], tf.float32)
        self._lower_batch = tf.function(self._lower, input_signature=[ids_spec, mask_spec])
        self._full_batch = tf.function(self._full, input_signature=[ids_spec, mask_spec])
        self._full_single = tf.function(
            lambda ids: self._full(ids, None), input_signature=[tf.TensorSpec([1, None], tf.int32)]
        )
        self._lower_single = tf.function(
            lambda ids: self._lower(ids, None), input_signature=[tf.TensorSpec([1, None], tf.int32)]
        )
        self._upper_single = tf.function(
            lambda states: mean_pool(self.run(states, None, self.split, self.top), None),
            input_signature=[tf.TensorSpec([1, None, self.hidden], tf.float32)],
        )

    def upper_weights(self) -> list[NDArray[np.float32]]:
        return [v.numpy() for v in self.trainable]

    def set_upper(self, weights: list[NDArray[np.float32]]) -> None:
        if len(weights) != len(self.trainable):
            raise ValueError(f"expected {len(self.trainable)} arrays for layers {self.split}..{self.top - 1}")
        for variable, value in zip(self.trainable, weights, strict=False):
            variable.assign(value)

    # --- the transformer -------------------------------------------------------------------
    def embed(self, ids: tf.Tensor) -> tf.Tensor:
        x = tf.gather(self._word, ids) + self._position[: tf.shape(ids)[1]] + self._type
        return layer_norm(x, *self._norm, self.eps)

    def _layer(self, index: int, x: tf.Tensor, bias: tf.Tensor | None, dropout: float) -> tf.Tensor:
        p, h, heads = self._layers[index], self.hidden, self.heads
        head_dim = h // heads
        batch, length = tf.shape(x)[0], tf.shape(x)[1]
        flat = tf.reshape(x, [-1, h])
        qkv = tf.reshape(tf.matmul(flat, p["qkv_w"]) + p["qkv_b"], [batch, length, 3, heads, head_dim])
        q, k, v = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4]))
        scores = tf.matmul(q, k, transpose_b=True) * (1.0 / math.sqrt(head_dim))
        if bias is not None:
            scores += bias
        context = tf.matmul(tf.nn.softmax(scores, -1), v)
        context = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [-1, h])
        attended = tf.matmul(context, p["ao_w"]) + p["ao_b"]
        if dropout:
            attended = tf.nn.dropout(attended, dropout)
        flat = layer_norm(flat + attended, p["aln_w"], p["aln_b"], self.eps)
        inner = tf.nn.gelu(tf.matmul(flat, p["fi_w"]) + p["fi_b"], approximate=False)
        out = tf.matmul(inner, p["fo_w"]) + p["fo_b"]
        if dropout:
            out = tf.nn.dropout(out, dropout)
        return tf.reshape(layer_norm(flat + out, p["oln_w"], p["oln_b"], self.eps), [batch, length, h])

    def run(self, x: tf.Tensor, mask: tf.Tensor | None, start: int, stop: int, dropout: float = 0.0) -> tf.Tensor:
        bias = None if mask is None else ((1.0 - mask) * -1e4)[:, None, None, :]
        for index in range(start, stop):
            x = self._layer(index, x, bias, dropout)
        return x

    def _lower(self, ids: tf.Tensor, mask: tf.Tensor | None) -> tuple[tf.Tensor, tf.Tensor]:
        states = self.run(self.embed(ids), mask, 0, self.split)
        return states, tf.math.l2_normalize(mean_pool(states, mask), -1)

    def _full(self, ids: tf.Tensor, mask: tf.Tensor | None) -> tuple[tf.Tensor, tf.Tensor]:
        states, pooled = self._lower(ids, mask)
        return pooled, mean_pool(self.run(states, mask, self.split, self.top), mask)

    # --- batch helpers ---------------------------------------------------------------------
    def lower(
        self, ids: list[list[int]], batch_size: int = 128, keep_states: bool = False
    ) -> tuple[NDArray[np.float32], list[NDArray[np.float32]] | None]:
        """L2-normalised mean pools of layer `split` for each text, and optionally its token
        states (one (T, H) array per text, for fine-tuning)."""
        pools = np.zeros((len(ids), self.hidden), np.float32)
        states: list[NDArray[np.float32]] | None = [np.empty(0, np.float32)] * len(ids) if keep_states else None
        for batch in by_length([len(s) for s in ids], batch_size):
            padded, mask = pad([ids[i] for i in batch])
            out, pooled = self._lower_batch(padded, mask)
            pools[batch] = pooled.numpy()
            if states is not None:
                out = out.numpy()
                for row, i in enumerate(batch):
                    states[i] = out[row, : len(ids[i])].copy()
        return pools, states

    def pools(self, ids: list[list[int]], batch_size: int = 128) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """(L2-normalised mean pool of layer `split`, mean pool of layer `top`) per text; one text
        runs unpadded."""
        if len(ids) == 1:
            lower, upper = self._full_single(np.asarray(ids, np.int32))
            return lower.numpy(), upper.numpy()
        lower = np.zeros((len(ids), self.hidden), np.float32)
        upper = np.zeros((len(ids), self.hidden), np.float32)
        for batch in by_length([len(s) for s in ids], batch_size):
            low, up = self._full_batch(*pad([ids[i] for i in batch]))
            lower[batch], upper[batch] = low.numpy(), up.numpy()
        return lower, upper

    def lower_one(self, ids: list[int]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """One text, unpadded: the token states of layer `split` (T, H) and their L2-normalised
        mean pool (H,)."""
        states, pooled = self._lower_single(np.asarray([ids], np.int32))
        return states.numpy()[0], pooled.numpy()[0]

    def upper_one(self, states: NDArray[np.float32]) -> NDArray[np.float32]:
        """Mean pool (H,) of layer `top`, from one text's layer-`split` token states (T, H)."""
        pooled = self._upper_single(np.asarray(states, np.float32)[None])
        result: NDArray[np.float32] = pooled.numpy()[0]
        return result
