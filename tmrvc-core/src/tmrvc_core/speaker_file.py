"""`.tmrvc_speaker` version 2: writer and validating reader (layout in onnx-contract.md).

Little-endian: magic ``TMSP`` | u32 version = 2 | u32 embed_size | u32 lora_size | u32 meta_size |
f32[embed_size] spk_embed | f32[lora_size] lora_delta | meta_size bytes UTF-8 JSON | SHA-256 of all preceding bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tmrvc_core.constants import N_VOICE_SOURCE_PARAMS, SPEAKER_META_MAX_BYTES

MAGIC = b"TMSP"
VERSION = 2
HEADER = struct.Struct("<4sIIII")
DIGEST_SIZE = 32
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
    """spk_embed: (embed_size,) float32; lora_delta: (lora_size,) float32; metadata: the JSON object."""

    spk_embed: np.ndarray
    lora_delta: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

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
    body = HEADER.pack(MAGIC, VERSION, embed.size, lora.size, len(meta)) + embed.tobytes() + lora.tobytes() + meta
    return body + hashlib.sha256(body).digest()


def write_speaker_file(path: str | Path, speaker: SpeakerFile) -> None:
    """Write ``speaker`` to ``path`` (whole file at once)."""
    Path(path).write_bytes(encode_speaker_file(speaker))


def _parse_header(data: bytes) -> tuple[int, int, int]:
    if len(data) < HEADER.size:
        raise SpeakerFileError(f"truncated: {len(data)} bytes, the header alone needs {HEADER.size}")
    magic, version, embed_size, lora_size, meta_size = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SpeakerFileError(f"wrong magic: expected {MAGIC!r}, got {magic!r}")
    if version != VERSION:
        raise SpeakerFileError(f"unknown version {version} (this reader knows version {VERSION})")
    if meta_size > SPEAKER_META_MAX_BYTES:
        raise SpeakerFileError(f"oversized metadata: {meta_size} bytes, at most {SPEAKER_META_MAX_BYTES}")
    expected = HEADER.size + 4 * (embed_size + lora_size) + meta_size + DIGEST_SIZE
    if len(data) < expected:
        raise SpeakerFileError(f"truncated: {len(data)} bytes, the header describes {expected}")
    if len(data) > expected:
        raise SpeakerFileError(f"size mismatch: {len(data)} bytes, the header describes {expected}")
    return embed_size, lora_size, meta_size


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


def decode_speaker_file(data: bytes, expected_embed_size: int | None = None, expected_lora_size: int | None = None,
                        expected_model_id: str | None = None, allow_model_id_mismatch: bool = False) -> SpeakerFile:
    """File bytes → SpeakerFile, validating everything the contract lists.

    Raises SpeakerFileError naming the problem; a model_id differing from ``expected_model_id`` raises
    ModelIdMismatchError, or only warns (ModelIdMismatchWarning) with ``allow_model_id_mismatch=True``.
    """
    embed_size, lora_size, meta_size = _parse_header(data)
    body_end = len(data) - DIGEST_SIZE
    if hashlib.sha256(data[:body_end]).digest() != data[body_end:]:
        raise SpeakerFileError("checksum mismatch: the SHA-256 at the end does not match the content")
    _check_sizes(embed_size, lora_size, expected_embed_size, expected_lora_size)
    off = HEADER.size
    embed = np.frombuffer(data, dtype="<f4", count=embed_size, offset=off).astype(np.float32)
    off += 4 * embed_size
    lora = np.frombuffer(data, dtype="<f4", count=lora_size, offset=off).astype(np.float32)
    off += 4 * lora_size
    if not np.isfinite(embed).all():
        raise SpeakerFileError("non-finite values in spk_embed")
    if not np.isfinite(lora).all():
        raise SpeakerFileError("non-finite values in lora_delta")
    meta = _parse_metadata(data[off:off + meta_size])
    if expected_model_id is not None and meta["model_id"] != expected_model_id:
        msg = f"model_id mismatch: the file was enrolled for {meta['model_id']!r}, the models are {expected_model_id!r}"
        if not allow_model_id_mismatch:
            raise ModelIdMismatchError(msg)
        warnings.warn(msg, ModelIdMismatchWarning, stacklevel=2)
    return SpeakerFile(embed, lora, meta)


def read_speaker_file(path: str | Path, expected_embed_size: int | None = None,
                      expected_lora_size: int | None = None, expected_model_id: str | None = None,
                      allow_model_id_mismatch: bool = False) -> SpeakerFile:
    """Read and validate ``path`` (see :func:`decode_speaker_file`); unreadable files raise SpeakerFileError."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SpeakerFileError(f"cannot read speaker file {path}: {exc}") from exc
    return decode_speaker_file(data, expected_embed_size, expected_lora_size, expected_model_id,
                               allow_model_id_mismatch)
