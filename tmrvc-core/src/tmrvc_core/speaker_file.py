"""`.tmrvc_speaker` versions 2 and 3: writer and validating reader (layout in onnx-contract.md, docs/speaker-bank.md).

Little-endian: magic ``TMSP`` | u32 version | u32 embed_size | u32 lora_size | u32 meta_size |
[version 3: u32 bank_frames n | u32 bank_key_size | u32 bank_value_size] | f32[embed_size] spk_embed |
f32[lora_size] lora_delta | [version 3: f32[n, key_size] bank keys | f32[n, value_size] bank values] |
meta_size bytes UTF-8 JSON | SHA-256 of all preceding bytes. A speaker without a bank is written as version 2.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from tmrvc_core.constants import (
    BANK_FRAMES,
    BANK_MIN_FRAMES,
    D_CONTENT,
    N_VOICE_SOURCE_PARAMS,
    SPEAKER_META_MAX_BYTES,
)

MAGIC = b"TMSP"
VERSION = 2
BANK_VERSION = 3
HEADER = struct.Struct("<4sIIII")
BANK_HEADER = struct.Struct("<III")  # version 3 only, right after HEADER: bank_frames, key_size, value_size
DIGEST_SIZE = 32
BANK_KEY_SIZE = D_CONTENT - 1  # the content without its F0 channel
BANK_KEY_NORM_TOL = 1e-3
REQUIRED_META_KEYS: tuple[str, ...] = (
    "name", "created_at", "model_id", "n_utterances", "total_seconds", "f0_log_mean", "f0_log_std",
)
_NUMERIC_META_KEYS = ("n_utterances", "total_seconds", "f0_log_mean", "f0_log_std")


class SpeakerFileError(ValueError):
    """A `.tmrvc_speaker` file is malformed or does not fit the loaded models; the message names the problem."""


class ModelIdMismatchError(SpeakerFileError):
    """The file was enrolled for another converter (its ``model_id`` differs); can be overridden."""


class ModelIdMismatchWarning(UserWarning):
    """Issued instead of :class:`ModelIdMismatchError` when the caller allows a model_id mismatch."""


@dataclass
class SpeakerFile:
    """spk_embed: (embed_size,) float32; lora_delta: (lora_size,) float32; metadata: the JSON object.

    bank_keys: (n, BANK_KEY_SIZE) float32, rows L2-normalised; bank_values: (n, value_size) float32 (H knots then
    N knots); both None when the speaker has no bank (the file is then version 2).
    """

    spk_embed: np.ndarray
    lora_delta: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)
    bank_keys: np.ndarray | None = None
    bank_values: np.ndarray | None = None

    @property
    def has_bank(self) -> bool:
        return self.bank_keys is not None and self.bank_keys.shape[0] > 0

    @property
    def name(self) -> str:
        return str(self.metadata.get("name", ""))

    @property
    def model_id(self) -> str:
        return str(self.metadata.get("model_id", ""))


def _check_metadata(meta: Any) -> None:
    if not isinstance(meta, dict):
        raise SpeakerFileError(f"invalid metadata JSON: expected an object, got {type(meta).__name__}")
    missing = [k for k in REQUIRED_META_KEYS if k not in meta]
    if missing:
        raise SpeakerFileError(f"invalid metadata JSON: missing keys {missing}")
    for key in ("name", "created_at", "model_id"):
        if not isinstance(meta[key], str):
            raise SpeakerFileError(f"invalid metadata JSON: {key!r} must be a string, got {meta[key]!r}")
    for key in _NUMERIC_META_KEYS:
        value = meta[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpeakerFileError(f"invalid metadata JSON: {key!r} must be a number, got {value!r}")
        if not math.isfinite(float(value)):
            raise SpeakerFileError(f"non-finite value in metadata {key!r}: {value!r}")
    preset = meta.get("voice_source_preset")
    if preset is not None:
        ok = isinstance(preset, list) and len(preset) == N_VOICE_SOURCE_PARAMS and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in preset)
        if not ok:
            raise SpeakerFileError(f"invalid metadata JSON: voice_source_preset must be {N_VOICE_SOURCE_PARAMS} "
                                   f"numbers, got {preset!r}")
        if not all(math.isfinite(float(v)) for v in preset):
            raise SpeakerFileError(f"non-finite value in metadata voice_source_preset: {preset!r}")


def without_bank(speaker: SpeakerFile) -> SpeakerFile:
    """The same speaker with no bank (and no ``bank_frames`` metadata): the converter's own envelopes."""
    meta = {k: v for k, v in speaker.metadata.items() if k != "bank_frames"}
    return replace(speaker, bank_keys=None, bank_values=None, metadata=meta)


def encode_speaker_file(speaker: SpeakerFile) -> bytes:
    """SpeakerFile → file bytes. Raises SpeakerFileError for non-finite values or bad/oversized metadata."""
    embed = np.ascontiguousarray(speaker.spk_embed, dtype="<f4").reshape(-1)
    lora = np.ascontiguousarray(speaker.lora_delta, dtype="<f4").reshape(-1)
    if not (np.isfinite(embed).all() and np.isfinite(lora).all()):
        raise SpeakerFileError("non-finite values in spk_embed or lora_delta")
    _check_metadata(speaker.metadata)
    meta = json.dumps(speaker.metadata, ensure_ascii=False, allow_nan=False, sort_keys=True).encode("utf-8")
    if len(meta) > SPEAKER_META_MAX_BYTES:
        raise SpeakerFileError(f"metadata JSON is {len(meta)} bytes, more than {SPEAKER_META_MAX_BYTES}")
    if speaker.bank_keys is None and speaker.bank_values is None:
        body = HEADER.pack(MAGIC, VERSION, embed.size, lora.size, len(meta)) + embed.tobytes() + lora.tobytes() + meta
        return body + hashlib.sha256(body).digest()
    keys, values = _bank_arrays(speaker.bank_keys, speaker.bank_values)
    _check_bank(keys, values)
    body = (HEADER.pack(MAGIC, BANK_VERSION, embed.size, lora.size, len(meta))
            + BANK_HEADER.pack(keys.shape[0], keys.shape[1], values.shape[1])
            + embed.tobytes() + lora.tobytes() + keys.tobytes() + values.tobytes() + meta)
    return body + hashlib.sha256(body).digest()


def _bank_arrays(keys: np.ndarray | None, values: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if keys is None or values is None:
        raise SpeakerFileError("a bank needs both bank_keys and bank_values (or neither, for no bank)")
    keys = np.ascontiguousarray(keys, dtype="<f4")
    values = np.ascontiguousarray(values, dtype="<f4")
    if keys.ndim != 2 or values.ndim != 2 or keys.shape[0] != values.shape[0]:
        raise SpeakerFileError(f"bank_keys must be (n, {BANK_KEY_SIZE}) and bank_values (n, value_size) with the same "
                               f"n, got {keys.shape} and {values.shape}")
    return keys, values


def _check_bank(keys: np.ndarray, values: np.ndarray) -> None:
    """keys: (n, key_size), values: (n, value_size); the contract's rules for a bank, as SpeakerFileError."""
    n = keys.shape[0]
    if n > BANK_FRAMES:
        raise SpeakerFileError(f"bank has {n} frames, more than bank_frames = {BANK_FRAMES}")
    if 0 < n < BANK_MIN_FRAMES:
        raise SpeakerFileError(f"bank has {n} frames, fewer than bank_min_frames = {BANK_MIN_FRAMES} "
                               "(enrol more voiced speech)")
    if keys.shape[1] != BANK_KEY_SIZE:
        raise SpeakerFileError(f"bank key size {keys.shape[1]}, expected d_content - 1 = {BANK_KEY_SIZE}")
    if n > 0 and values.shape[1] == 0:
        raise SpeakerFileError("bank value size is 0")
    if not np.isfinite(keys).all():
        raise SpeakerFileError("non-finite values in bank keys")
    if not np.isfinite(values).all():
        raise SpeakerFileError("non-finite values in bank values")
    norms = np.linalg.norm(keys.astype(np.float64), axis=1)
    bad = np.flatnonzero(np.abs(norms - 1.0) > BANK_KEY_NORM_TOL)
    if bad.size:
        raise SpeakerFileError(f"bank key row {bad[0]} has norm {norms[bad[0]]:.6g}, not 1 ± {BANK_KEY_NORM_TOL} "
                               f"({bad.size} rows are not L2-normalised)")


def write_speaker_file(path: str | Path, speaker: SpeakerFile) -> None:
    """Write ``speaker`` to ``path`` (whole file at once)."""
    Path(path).write_bytes(encode_speaker_file(speaker))


@dataclass(frozen=True)
class _Header:
    version: int
    embed_size: int
    lora_size: int
    meta_size: int
    bank_frames: int = 0
    bank_key_size: int = 0
    bank_value_size: int = 0

    @property
    def size(self) -> int:
        return HEADER.size + (BANK_HEADER.size if self.version == BANK_VERSION else 0)


def _parse_header(data: bytes) -> _Header:
    if len(data) < HEADER.size:
        raise SpeakerFileError(f"truncated: {len(data)} bytes, the header alone needs {HEADER.size}")
    magic, version, embed_size, lora_size, meta_size = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SpeakerFileError(f"wrong magic: expected {MAGIC!r}, got {magic!r}")
    if version not in (VERSION, BANK_VERSION):
        raise SpeakerFileError(f"unknown version {version} (this reader knows versions {VERSION} and {BANK_VERSION})")
    if meta_size > SPEAKER_META_MAX_BYTES:
        raise SpeakerFileError(f"oversized metadata: {meta_size} bytes, at most {SPEAKER_META_MAX_BYTES}")
    header = _Header(version, embed_size, lora_size, meta_size)
    if version == BANK_VERSION:
        if len(data) < HEADER.size + BANK_HEADER.size:
            raise SpeakerFileError(f"truncated: {len(data)} bytes, the version 3 header alone needs "
                                   f"{HEADER.size + BANK_HEADER.size}")
        header = _Header(version, embed_size, lora_size, meta_size, *BANK_HEADER.unpack_from(data, HEADER.size))
        if header.bank_frames > BANK_FRAMES:
            raise SpeakerFileError(f"bank has {header.bank_frames} frames, more than bank_frames = {BANK_FRAMES}")
    bank_floats = header.bank_frames * (header.bank_key_size + header.bank_value_size)
    expected = header.size + 4 * (embed_size + lora_size + bank_floats) + meta_size + DIGEST_SIZE
    if len(data) < expected:
        raise SpeakerFileError(f"truncated: {len(data)} bytes, the header describes {expected}")
    if len(data) > expected:
        raise SpeakerFileError(f"size mismatch: {len(data)} bytes, the header describes {expected}")
    return header


def _check_sizes(embed_size: int, lora_size: int, expected_embed_size: int | None,
                 expected_lora_size: int | None) -> None:
    if expected_embed_size is not None and embed_size != expected_embed_size:
        raise SpeakerFileError(f"size mismatch: embed_size {embed_size}, the models expect {expected_embed_size}")
    if expected_lora_size is not None and lora_size != expected_lora_size:
        raise SpeakerFileError(f"size mismatch: lora_size {lora_size}, the models expect {expected_lora_size}")


def _parse_metadata(raw: bytes) -> dict[str, Any]:
    def reject_constant(token: str) -> Any:
        raise SpeakerFileError(f"non-finite value in metadata JSON: {token}")

    try:
        meta = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpeakerFileError(f"invalid metadata JSON: {exc}") from exc
    _check_metadata(meta)
    return meta


def _read_matrix(data: bytes, rows: int, cols: int, offset: int) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4", count=rows * cols, offset=offset).astype(np.float32).reshape(rows, cols)


def decode_speaker_file(data: bytes, expected_embed_size: int | None = None, expected_lora_size: int | None = None,
                        expected_model_id: str | None = None, allow_model_id_mismatch: bool = False,
                        expected_bank_value_size: int | None = None) -> SpeakerFile:
    """File bytes → SpeakerFile, validating everything the contract lists (versions 2 and 3).

    Raises SpeakerFileError naming the problem; a model_id differing from ``expected_model_id`` raises
    ModelIdMismatchError, or only warns (ModelIdMismatchWarning) with ``allow_model_id_mismatch=True``.
    ``expected_bank_value_size``: the loaded converter's V, checked against a version 3 file (None: unchecked).
    """
    h = _parse_header(data)
    body_end = len(data) - DIGEST_SIZE
    if hashlib.sha256(data[:body_end]).digest() != data[body_end:]:
        raise SpeakerFileError("checksum mismatch: the SHA-256 at the end does not match the content")
    _check_sizes(h.embed_size, h.lora_size, expected_embed_size, expected_lora_size)
    if (h.version == BANK_VERSION and expected_bank_value_size is not None
            and h.bank_value_size != expected_bank_value_size):
        raise SpeakerFileError(f"size mismatch: bank value size {h.bank_value_size}, the models expect "
                               f"{expected_bank_value_size}")
    off = h.size
    embed = np.frombuffer(data, dtype="<f4", count=h.embed_size, offset=off).astype(np.float32)
    off += 4 * h.embed_size
    lora = np.frombuffer(data, dtype="<f4", count=h.lora_size, offset=off).astype(np.float32)
    off += 4 * h.lora_size
    if not np.isfinite(embed).all():
        raise SpeakerFileError("non-finite values in spk_embed")
    if not np.isfinite(lora).all():
        raise SpeakerFileError("non-finite values in lora_delta")
    keys = values = None
    if h.version == BANK_VERSION:
        keys = _read_matrix(data, h.bank_frames, h.bank_key_size, off)
        off += 4 * keys.size
        values = _read_matrix(data, h.bank_frames, h.bank_value_size, off)
        off += 4 * values.size
        _check_bank(keys, values)
    meta = _parse_metadata(data[off:off + h.meta_size])
    if expected_model_id is not None and meta["model_id"] != expected_model_id:
        msg = f"model_id mismatch: the file was enrolled for {meta['model_id']!r}, the models are {expected_model_id!r}"
        if not allow_model_id_mismatch:
            raise ModelIdMismatchError(msg)
        warnings.warn(msg, ModelIdMismatchWarning, stacklevel=2)
    return SpeakerFile(embed, lora, meta, keys, values)


def read_speaker_file(path: str | Path, expected_embed_size: int | None = None,
                      expected_lora_size: int | None = None, expected_model_id: str | None = None,
                      allow_model_id_mismatch: bool = False,
                      expected_bank_value_size: int | None = None) -> SpeakerFile:
    """Read and validate ``path`` (see :func:`decode_speaker_file`); unreadable files raise SpeakerFileError."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SpeakerFileError(f"cannot read speaker file {path}: {exc}") from exc
    return decode_speaker_file(data, expected_embed_size, expected_lora_size, expected_model_id,
                               allow_model_id_mismatch, expected_bank_value_size)
