#!/usr/bin/env python3
"""Write the committed seed corpora of the fuzz harnesses (tmrvc-engine/fuzz/corpus/<harness>/).

Speaker files are written by tmrvc_core's own `.tmrvc_speaker` writer (independent of the C++ reader): valid
version 2 and version 3 (speaker bank) files and malformed variants (wrong magic, version, sizes, checksum,
metadata, NaN payload, bank too small, unnormalised or NaN bank keys). The model metadata
seeds are one valid metadata.json shaped like the tiny fixture folder's, plus malformed variants. The ONNX seeds
are small garbage files (the valid ONNX seeds come from the fixture folder at fuzz time, see run_fuzz.sh).

Usage:  uv run python tmrvc-engine/fuzz/make_seeds.py [OUTPUT_DIR]   (default: tmrvc-engine/fuzz/corpus)
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np

from tmrvc_core import constants as C
from tmrvc_core.speaker_file import SpeakerFile, encode_speaker_file

HERE = Path(__file__).resolve().parent
LORA_SIZE = 960  # the tiny fixture folder's LoRA size (2 layers x rank 2 x (224 + 16))
MODEL_ID = "d8b0ab795340a9c4f9d060934c7e9763b0c1b85a9ad0c4124952c15e514ecb4b"


def _resign(body: bytes) -> bytes:
    """body without digest -> body + SHA-256(body): a corrupt payload that still passes the checksum."""
    return body + hashlib.sha256(body).digest()


def speaker_seeds() -> dict[str, bytes]:
    """name -> bytes of valid and malformed `.tmrvc_speaker` files."""
    rng = np.random.default_rng(0)
    embed = rng.standard_normal(C.D_SPEAKER).astype(np.float32)
    meta = {"name": "seed", "created_at": "fuzz", "model_id": MODEL_ID, "n_utterances": 3, "total_seconds": 9.0,
            "f0_log_mean": 5.0, "f0_log_std": 0.2, "voice_source_preset": [0.1] * C.N_VOICE_SOURCE_PARAMS}
    good = encode_speaker_file(SpeakerFile(embed / np.linalg.norm(embed),
                                           (0.1 * rng.standard_normal(LORA_SIZE)).astype(np.float32), meta))
    small = encode_speaker_file(SpeakerFile(np.ones(4, np.float32), np.zeros(0, np.float32), dict(meta, name="s")))
    body = good[:-32]
    header = struct.Struct("<4s4I")
    _, version, n_embed, n_lora, n_meta = header.unpack_from(body)
    payload = body[header.size:]
    nan_body = header.pack(b"TMSP", version, n_embed, n_lora, n_meta) + struct.pack("<f", float("nan")) + payload[4:]
    meta_off = header.size + 4 * (n_embed + n_lora)
    bad_json = b'{"name": "x", "model_id": 5, "f0_log_mean": 1e999'
    return {
        "valid.tmrvc_speaker": good,
        "valid_small.tmrvc_speaker": small,
        "bad_magic.bin": b"XXXX" + good[4:],
        "bad_version.bin": _resign(header.pack(b"TMSP", 4, n_embed, n_lora, n_meta) + payload),
        "bad_checksum.bin": good[:-1] + bytes([good[-1] ^ 0xFF]),
        "truncated.bin": good[: len(good) // 2],
        "header_only.bin": body[: header.size],
        "huge_sizes.bin": _resign(header.pack(b"TMSP", 2, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)),
        "nan_embedding.bin": _resign(nan_body),
        "bad_json.bin": _resign(header.pack(b"TMSP", 2, n_embed, n_lora, len(bad_json)) + body[header.size:meta_off]
                                + bad_json),
        **bank_seeds(embed, meta),
    }


BANK_VALUE_SIZE = 24  # a plausible V (2 x 12 knots); the reader checks it only against loaded models


def bank_seeds(embed: np.ndarray, meta: dict) -> dict[str, bytes]:
    """Version 3 files: a valid bank of bank_min_frames rows and malformed banks that still pass the checksum."""
    rng = np.random.default_rng(1)
    n, key = C.BANK_MIN_FRAMES, C.D_CONTENT - 1
    keys = rng.standard_normal((n, key)).astype(np.float32)
    keys /= np.linalg.norm(keys, axis=1, keepdims=True)
    values = rng.standard_normal((n, BANK_VALUE_SIZE)).astype(np.float32)
    good = encode_speaker_file(SpeakerFile(embed, np.zeros(0, np.float32), meta, keys, values))
    body = bytearray(good[:-32])
    keys_off = 32 + 4 * embed.size
    unnormalised = bytearray(body)
    unnormalised[keys_off:keys_off + 4] = struct.pack("<f", 2.0)
    nan_key = bytearray(body)
    nan_key[keys_off:keys_off + 4] = struct.pack("<f", float("nan"))
    few = bytearray(body[:32]) + body[32:keys_off] + body[keys_off:keys_off + 4 * key] \
        + body[keys_off + 4 * n * key:keys_off + 4 * n * key + 4 * BANK_VALUE_SIZE] + body[keys_off + 4 * n * (key + BANK_VALUE_SIZE):]
    struct.pack_into("<I", few, 20, 1)
    huge = bytearray(body[:32])
    struct.pack_into("<III", huge, 20, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    return {"valid_bank.tmrvc_speaker": good, "bank_unnormalised.bin": _resign(bytes(unnormalised)),
            "bank_nan_key.bin": _resign(bytes(nan_key)), "bank_one_frame.bin": _resign(bytes(few)),
            "bank_huge_sizes.bin": _resign(bytes(huge))}


def metadata_seeds() -> dict[str, bytes]:
    """name -> bytes of valid and malformed metadata.json files for the tiny fixture folder."""
    meta = {"version": 1, "created_at": "fuzz", "constants_hash": C.CONSTANTS_HASH,
            "contract_version": C.CONTRACT_VERSION, "model_id": MODEL_ID, "training": "seed",
            "lora": {"rank": 2, "alpha": 3.0, "layers": [1, 2], "d_in": 224, "d_out": 16, "size": LORA_SIZE},
            "film_weights": {"file": "converter_film.bin", "dtype": "float32", "layers": [
                {"name": "film.1.weight", "offset_bytes": 0, "shape": [16, 224]},
                {"name": "film.2.weight", "offset_bytes": 14336, "shape": [16, 224]}]}}
    out = {"valid.json": json.dumps(meta, indent=1).encode()}
    bad_off = json.loads(out["valid.json"])
    bad_off["film_weights"]["layers"][1]["offset_bytes"] = 2**62
    escape = json.loads(out["valid.json"])
    escape["film_weights"]["file"] = "../../etc/passwd"
    huge = json.loads(out["valid.json"])
    huge["lora"].update(rank=4096, d_in=1 << 20, d_out=1 << 20, size=0)
    out.update({"bad_offset.json": json.dumps(bad_off).encode(), "escape.json": json.dumps(escape).encode(),
                "huge_lora.json": json.dumps(huge).encode(), "not_object.json": b"[1, 2, 3]",
                "truncated.json": out["valid.json"][:200], "empty.json": b""})
    return out


def onnx_seeds() -> dict[str, bytes]:
    """name -> first byte (which model file) + garbage ONNX bytes."""
    return {"empty_converter.bin": b"\x02", "garbage_vocoder.bin": b"\x03" + bytes(range(256)),
            "protobuf_like.bin": b"\x00\x08\x07\x12\x04tmrvc\x3a\x02\x0a\x00"}


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE / "corpus"
    for harness, seeds in (("fuzz_speaker_file", speaker_seeds()), ("fuzz_model_metadata", metadata_seeds()),
                           ("fuzz_model_onnx", onnx_seeds())):
        (out / harness).mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (out / harness / name).write_bytes(data)
    print(f"seeds written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
