"""`make demo CORPUS=real`: the real corpus's config, its held-out pair, and recipe configs whose content encoder
has enough phone classes for the real corpus's inventory and a longer content stage (the synthetic recipe is left
as it is)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from demo_stages import Context  # noqa: E402
from demo_training import REAL_CONTENT_STEPS, REAL_DEMO_SOURCES, REAL_DEMO_TARGET, REAL_POSTERIOR_CLASSES  # noqa: E402
from demo_training import TRAIN_CHAIN, cache_overrides  # noqa: E402
from demo_training import corpus_config, stage_config  # noqa: E402
from tmrvc_data.config import build_config  # noqa: E402
from tmrvc_data.make_corpus import CorpusConfig, split_voices  # noqa: E402
from tmrvc_data.voices import RESERVED_EVAL_VOICES, SAME_PERSON, voice_by_name  # noqa: E402


def test_real_corpus_config_holds_out_the_demo_pair_and_never_the_reserved_voices() -> None:
    ctx = Context(out=Path("/nonexistent"), quick=False, corpus="real")
    cfg = build_config(CorpusConfig, yaml.safe_load(Path(corpus_config(ctx)).read_text()))
    assert not set(cfg.voices) & set(RESERVED_EVAL_VOICES)
    split = split_voices(list(cfg.voices), cfg)
    for voice in [REAL_DEMO_TARGET, *REAL_DEMO_SOURCES]:
        assert voice in split["test"] and voice_by_name(voice).real
        for group in SAME_PERSON:  # every name of the held-out people is held out
            if voice in group:
                assert not set(group) & set(split["train"])
    assert cfg.siblings_per_voice > 0
    # every English voice teaches festival's phone classes, with the training-only English sentences
    assert cfg.espeak_english_phones == "festival" and cfg.train_only_sentences
    # ... and the nine languages' phones are named from one set in the cache (the synthetic demo keeps its own)
    assert cache_overrides(ctx) == ["--phone_classes", "shared"]
    assert cache_overrides(Context(out=Path("/nonexistent"), quick=False, corpus="synthetic")) == []
    assert {voice_by_name(v).language for v in split["train"]} >= {"en", "cs", "hi", "ru", "fi"}


def test_real_recipe_widens_phone_classes_only_for_the_real_corpus(tmp_path: Path) -> None:
    real, synthetic = (Context(out=tmp_path / c, quick=False, corpus=c) for c in ("real", "synthetic"))
    for step in TRAIN_CHAIN:
        assert stage_config(synthetic, step) == ROOT / f"configs/demo/{step}.yaml"
        original = yaml.safe_load((ROOT / f"configs/demo/{step}.yaml").read_text())
        derived = yaml.safe_load(stage_config(real, step).read_text())
        enc = original.get("models", {}).get("content_encoder", {})
        if enc.get("posterior_classes"):
            assert derived["models"]["content_encoder"]["posterior_classes"] == REAL_POSTERIOR_CLASSES
            derived["models"]["content_encoder"]["posterior_classes"] = enc["posterior_classes"]
        if step == "content":
            assert derived["steps"] == REAL_CONTENT_STEPS > original["steps"]
            derived["steps"] = original["steps"]
        assert derived == original, step  # nothing else changes
