"""`.tmrvc_speaker` v2 and v3 (bank): round trip, byte layout, and one rejection per malformed case of the contract."""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pytest

from tmrvc_core.constants import BANK_FRAMES, BANK_MIN_FRAMES, D_CONTENT, D_SPEAKER, LORA_SIZE, SPEAKER_META_MAX_BYTES
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
    (_valid(version=4), "unknown version"),
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


# --- version 3: the speaker bank (docs/speaker-bank.md) ---

KEY = D_CONTENT - 1
VALUE = 10


def _bank(n=BANK_MIN_FRAMES, value_size=VALUE, seed=1):
    rng = np.random.default_rng(seed)
    keys = rng.standard_normal((n, KEY)).astype(np.float32)
    keys /= np.linalg.norm(keys, axis=1, keepdims=True)
    return keys, rng.standard_normal((n, value_size)).astype(np.float32)


def _build_v3(keys, values, sizes=None, version=3, embed_lora=(3, 5)):
    """Hand-built version 3 file (independent of the writer)."""
    embed, lora = _arrays(*embed_lora)
    meta = json.dumps(META, sort_keys=True).encode()
    n, k, v = sizes or (keys.shape[0], keys.shape[1], values.shape[1])
    body = b"TMSP" + struct.pack("<7I", version, embed.size, lora.size, len(meta), n, k, v) \
        + embed.astype("<f4").tobytes() \
        + lora.astype("<f4").tobytes() + keys.astype("<f4").tobytes() + values.astype("<f4").tobytes() + meta
    return body + hashlib.sha256(body).digest()


def test_bank_round_trip(tmp_path):
    embed, lora = _arrays()
    keys, values = _bank()
    path = tmp_path / "bank.tmrvc_speaker"
    write_speaker_file(path, SpeakerFile(embed, lora, META, keys, values))
    got = read_speaker_file(path, D_SPEAKER, LORA_SIZE, META["model_id"], expected_bank_value_size=VALUE)
    assert got.has_bank and np.array_equal(got.bank_keys, keys) and np.array_equal(got.bank_values, values)
    assert got.bank_keys.dtype == np.float32 and got.bank_values.shape == (BANK_MIN_FRAMES, VALUE)
    assert np.array_equal(got.lora_delta, lora) and got.metadata == META


def test_bank_writer_layout_matches_contract():
    embed, lora = _arrays(4, 6)
    keys, values = _bank()
    data = encode_speaker_file(SpeakerFile(embed, lora, META, keys, values))
    version, e, l_, m, n, k, v = struct.unpack_from("<7I", data, 4)
    assert (version, e, l_, n, k, v) == (3, 4, 6, BANK_MIN_FRAMES, KEY, VALUE)
    keys_off = 32 + 4 * 10
    values_off = keys_off + 4 * n * k
    meta_off = values_off + 4 * n * v
    assert len(data) == meta_off + m + 32
    assert np.array_equal(np.frombuffer(data, "<f4", n * k, keys_off).reshape(n, k), keys)
    assert np.array_equal(np.frombuffer(data, "<f4", n * v, values_off).reshape(n, v), values)
    assert json.loads(data[meta_off:meta_off + m]) == META
    assert data == _build_v3(keys, values, embed_lora=(4, 6))


def test_no_bank_writes_version_2_bytes_of_before():
    embed, lora = _arrays(3, 5)
    data = encode_speaker_file(SpeakerFile(embed, lora, META))
    hand = _build(embed, lora, json.dumps(META, ensure_ascii=False, allow_nan=False, sort_keys=True).encode())
    assert data == hand
    got = decode_speaker_file(data)
    assert got.bank_keys is None and got.bank_values is None and not got.has_bank


def test_empty_bank_is_version_3_without_frames():
    keys, values = _bank(0)
    got = decode_speaker_file(_build_v3(keys, values))
    assert got.bank_keys.shape == (0, KEY) and got.bank_values.shape == (0, VALUE) and not got.has_bank


def _unit_rows(n, k=KEY):
    keys = np.zeros((n, k), np.float32)
    keys[:, 0] = 1.0
    return keys


@pytest.mark.parametrize("keys,values,sizes,match", [
    (_unit_rows(BANK_FRAMES + 1), np.zeros((BANK_FRAMES + 1, 2), np.float32), None, "more than bank_frames"),
    (_unit_rows(BANK_MIN_FRAMES - 1), np.zeros((BANK_MIN_FRAMES - 1, 2), np.float32), None, "fewer than bank_min"),
    (_unit_rows(1), np.zeros((1, 2), np.float32), None, "fewer than bank_min"),
    (_unit_rows(BANK_MIN_FRAMES, KEY + 1), np.zeros((BANK_MIN_FRAMES, 2), np.float32), None, "key size 256"),
    (_unit_rows(BANK_MIN_FRAMES), np.zeros((BANK_MIN_FRAMES, 0), np.float32), None, "value size is 0"),
    (_unit_rows(BANK_MIN_FRAMES) * 1.01, np.zeros((BANK_MIN_FRAMES, 2), np.float32), None, "row 0 has norm 1.01"),
    (_unit_rows(BANK_MIN_FRAMES), np.zeros((BANK_MIN_FRAMES, 2), np.float32), (BANK_MIN_FRAMES + 1, KEY, 2),
     "truncated"),
])
def test_rejects_malformed_bank(keys, values, sizes, match):
    with pytest.raises(SpeakerFileError, match=match):
        decode_speaker_file(_build_v3(keys, values, sizes))
    if sizes is None:
        embed, lora = _arrays(3, 5)
        with pytest.raises(SpeakerFileError, match=match):
            encode_speaker_file(SpeakerFile(embed, lora, META, keys, values))


def test_key_norm_tolerance_is_1e_3():
    keys, values = _bank()
    keys[7] *= 1.0009
    assert decode_speaker_file(_build_v3(keys, values)).has_bank
    keys[7] *= 1.0011 / 1.0009
    with pytest.raises(SpeakerFileError, match="row 7 has norm"):
        decode_speaker_file(_build_v3(keys, values))


@pytest.mark.parametrize("which", ["keys", "values"])
def test_rejects_non_finite_bank(which):
    keys, values = _bank()
    (keys if which == "keys" else values)[3, 2] = np.nan
    with pytest.raises(SpeakerFileError, match=f"non-finite values in bank {which}"):
        decode_speaker_file(_build_v3(keys, values))


def test_rejects_bank_value_size_of_other_models():
    keys, values = _bank()
    data = _build_v3(keys, values)
    with pytest.raises(SpeakerFileError, match=f"bank value size {VALUE}, the models expect 12"):
        decode_speaker_file(data, expected_bank_value_size=12)
    assert decode_speaker_file(data, expected_bank_value_size=VALUE).has_bank
    v2 = _valid()
    assert not decode_speaker_file(v2, expected_bank_value_size=12).has_bank  # no bank: nothing to check


def test_writer_needs_both_bank_arrays():
    embed, lora = _arrays(3, 5)
    keys, values = _bank()
    with pytest.raises(SpeakerFileError, match="both bank_keys and bank_values"):
        encode_speaker_file(SpeakerFile(embed, lora, META, keys, None))
    with pytest.raises(SpeakerFileError, match="same n"):
        encode_speaker_file(SpeakerFile(embed, lora, META, keys, values[:-1]))
