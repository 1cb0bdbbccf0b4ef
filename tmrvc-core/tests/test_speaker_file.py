"""`.tmrvc_speaker` v2: round trip, byte layout, and one rejection per malformed case of the contract."""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pytest

from tmrvc_core.constants import D_SPEAKER, LORA_SIZE, SPEAKER_META_MAX_BYTES
from tmrvc_core.speaker_file import (
    ModelIdMismatchError,
    ModelIdMismatchWarning,
    SpeakerFile,
    SpeakerFileError,
    decode_speaker_file,
    encode_speaker_file,
    read_speaker_file,
    write_speaker_file,
)

META = {"name": "alice", "created_at": "2026-11-25T17:00:00Z", "model_id": "ab" * 32, "n_utterances": 5,
        "total_seconds": 12.5, "f0_log_mean": 5.3, "f0_log_std": 0.2}


def _arrays(embed_size=D_SPEAKER, lora_size=LORA_SIZE):
    rng = np.random.default_rng(0)
    return rng.standard_normal(embed_size).astype(np.float32), rng.standard_normal(lora_size).astype(np.float32)


def _build(embed, lora, meta_bytes, magic=b"TMSP", version=2, sizes=None, fix_digest=True):
    """Hand-built file (independent of the writer): header, payload, JSON, SHA-256."""
    e, l_, m = sizes or (embed.size, lora.size, len(meta_bytes))
    body = magic + struct.pack("<IIII", version, e, l_, m) + embed.astype("<f4").tobytes() \
        + lora.astype("<f4").tobytes() + meta_bytes
    digest = hashlib.sha256(body).digest() if fix_digest else bytes(32)
    return body + digest


def test_round_trip(tmp_path):
    embed, lora = _arrays()
    meta = dict(META, voice_source_preset=[0.1] * 8)
    path = tmp_path / "a.tmrvc_speaker"
    write_speaker_file(path, SpeakerFile(embed, lora, meta))
    got = read_speaker_file(path, D_SPEAKER, LORA_SIZE, META["model_id"])
    assert np.array_equal(got.spk_embed, embed) and np.array_equal(got.lora_delta, lora)
    assert got.metadata == meta and got.name == "alice"


def test_writer_layout_matches_contract():
    embed, lora = _arrays(4, 6)
    data = encode_speaker_file(SpeakerFile(embed, lora, META))
    assert data[:4] == b"TMSP"
    version, e, l_, m = struct.unpack_from("<IIII", data, 4)
    assert (version, e, l_) == (2, 4, 6)
    assert len(data) == 20 + 4 * 10 + m + 32
    assert np.array_equal(np.frombuffer(data, "<f4", 4, 20), embed)
    assert np.array_equal(np.frombuffer(data, "<f4", 6, 36), lora)
    assert json.loads(data[60:60 + m]) == META
    assert data[-32:] == hashlib.sha256(data[:-32]).digest()


def test_hand_built_file_is_accepted():
    embed, lora = _arrays(3, 5)
    got = decode_speaker_file(_build(embed, lora, json.dumps(META).encode()))
    assert np.array_equal(got.lora_delta, lora)


def _valid(**kw):
    embed, lora = _arrays(3, 5)
    return _build(embed, lora, json.dumps(META).encode(), **kw)


@pytest.mark.parametrize("data,match", [
    (_valid(magic=b"TMSQ"), "wrong magic"),
    (_valid(version=3), "unknown version"),
    (_valid()[:-1], "truncated"),
    (_valid()[:10], "truncated"),
    (_valid() + b"\0", "size mismatch"),
    (_valid(fix_digest=False), "checksum mismatch"),
])
def test_rejects_malformed_structure(data, match):
    with pytest.raises(SpeakerFileError, match=match):
        decode_speaker_file(data)


def test_rejects_flipped_payload_byte():
    data = bytearray(_valid())
    data[25] ^= 0x01
    with pytest.raises(SpeakerFileError, match="checksum mismatch"):
        decode_speaker_file(bytes(data))


def test_rejects_size_mismatch_with_models():
    data = _valid()
    with pytest.raises(SpeakerFileError, match="size mismatch: embed_size 3"):
        decode_speaker_file(data, expected_embed_size=D_SPEAKER)
    with pytest.raises(SpeakerFileError, match="size mismatch: lora_size 5"):
        decode_speaker_file(data, expected_embed_size=3, expected_lora_size=LORA_SIZE)


@pytest.mark.parametrize("which", ["embed", "lora"])
def test_rejects_non_finite_values(which):
    embed, lora = _arrays(3, 5)
    (embed if which == "embed" else lora)[1] = np.nan
    with pytest.raises(SpeakerFileError, match="non-finite"):
        decode_speaker_file(_build(embed, lora, json.dumps(META).encode()))


def test_rejects_non_finite_metadata():
    embed, lora = _arrays(3, 5)
    raw = json.dumps(dict(META, f0_log_mean=float("inf"))).encode()
    with pytest.raises(SpeakerFileError, match="non-finite"):
        decode_speaker_file(_build(embed, lora, raw))


def test_rejects_oversized_metadata():
    embed, lora = _arrays(3, 5)
    raw = json.dumps(dict(META, name="x" * SPEAKER_META_MAX_BYTES)).encode()
    with pytest.raises(SpeakerFileError, match="oversized"):
        decode_speaker_file(_build(embed, lora, raw))
    with pytest.raises(SpeakerFileError, match="more than"):
        encode_speaker_file(SpeakerFile(embed, lora, dict(META, name="x" * SPEAKER_META_MAX_BYTES)))


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[1, 2]",
                                 json.dumps({k: v for k, v in META.items() if k != "model_id"}).encode(),
                                 json.dumps(dict(META, n_utterances="five")).encode(),
                                 json.dumps(dict(META, voice_source_preset=[1.0, 2.0])).encode()])
def test_rejects_invalid_json(raw):
    embed, lora = _arrays(3, 5)
    with pytest.raises(SpeakerFileError, match="invalid metadata JSON"):
        decode_speaker_file(_build(embed, lora, raw))


def test_model_id_mismatch_is_distinct_and_overridable():
    data = _valid()
    with pytest.raises(ModelIdMismatchError, match="model_id mismatch"):
        decode_speaker_file(data, expected_model_id="cd" * 32)
    with pytest.warns(ModelIdMismatchWarning, match="model_id mismatch"):
        got = decode_speaker_file(data, expected_model_id="cd" * 32, allow_model_id_mismatch=True)
    assert got.model_id == META["model_id"]
    assert issubclass(ModelIdMismatchError, SpeakerFileError) and issubclass(SpeakerFileError, ValueError)


def test_writer_refuses_non_finite_and_missing_file(tmp_path):
    embed, lora = _arrays(3, 5)
    lora[0] = np.inf
    with pytest.raises(SpeakerFileError, match="non-finite"):
        encode_speaker_file(SpeakerFile(embed, lora, META))
    with pytest.raises(SpeakerFileError, match="cannot read"):
        read_speaker_file(tmp_path / "missing.tmrvc_speaker")
