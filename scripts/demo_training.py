"""Demo stages from corpus to enrolled speaker: corpus, preprocess, cache, training chain, export, enrolment."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import yaml

from demo_stages import ROOT, Context, Stage, StageError, sh, uv_run
from tmrvc_core.dsp import resample
from tmrvc_core.speaker_file import read_speaker_file, without_bank, write_speaker_file
from tmrvc_export.int8_folder import make_int8_folder

EVAL_RATE = 48000  # held-out audio is converted at a DAW rate
TRAIN_CHAIN = ("speaker", "content", "ir", "teacher", "vocoder", "A", "B", "hq", "vocoder_ft", "zeroshot")
QUICK_STEPS = 3


# --corpus real: the held-out pair (target, sources) and the content encoder's phone classes, which must cover
# the real corpus's larger inventory (espeak + festival phones of nine languages: 181 with silence).
REAL_DEMO_TARGET, REAL_DEMO_SOURCES = "fest_slt", ["fest_ked"]
REAL_POSTERIOR_CLASSES = 192
# The content stage sees ~100 speakers in nine languages on the real corpus (29 voices on the synthetic one): twice
# the synthetic recipe's steps (about 4 more minutes on 2 cores).
REAL_CONTENT_STEPS = 8000


def corpus_config(ctx: Context) -> str:
    if ctx.corpus == "real":
        return str(ROOT / "configs/data" / ("synthetic_tiny.yaml" if ctx.quick else "real_corpus.yaml"))
    return str(ROOT / "configs/data" / ("synthetic_tiny.yaml" if ctx.quick else "synthetic_corpus.yaml"))


def stage_config(ctx: Context, step: str) -> Path:
    """The recipe's YAML for a training stage; for the real corpus a copy with more phone classes (and content steps)."""
    config = ROOT / f"configs/demo/{step}.yaml"
    if ctx.corpus != "real":
        return config
    recipe = yaml.safe_load(config.read_text())
    enc = recipe.get("models", {}).get("content_encoder", {})
    if enc.get("posterior_classes"):
        enc["posterior_classes"] = REAL_POSTERIOR_CLASSES
    if step == "content":
        recipe["steps"] = REAL_CONTENT_STEPS
    derived = ctx.work / "configs" / f"{step}.yaml"
    derived.parent.mkdir(parents=True, exist_ok=True)
    derived.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return derived


def stage_corpus(ctx: Context) -> dict:
    out = ctx.work / "corpus"
    # Quick mode still needs two held-out voices (a target to enrol, a source) and two training voices.
    # The full demo uses 40 of the 48 built-in sentences to stay inside its time budget on 2 cores.
    extra = ["--n_test_voices", 2, "--n_val_voices", 0, "--n_sentences", 5] if ctx.quick else \
        ([] if ctx.corpus == "real" else ["--n_sentences", 40])
    sh(uv_run("tmrvc-make-corpus", "--config", corpus_config(ctx), "--out", out, *extra), ctx.work / "logs/corpus.log")
    info = json.loads((out / "corpus.json").read_text())
    return {"dir": str(out), "info": info}


def stage_preprocess(ctx: Context) -> dict:
    sh(uv_run("tmrvc-preprocess", "--config", ROOT / "configs/data/preprocess.yaml",
              "--manifest", ctx.work / "corpus/manifest.jsonl", "--out", ctx.work / "preprocessed"),
       ctx.work / "logs/preprocess.log")
    return {"dir": str(ctx.work / "preprocessed")}


def cache_overrides(ctx: Context) -> list[str]:
    """The real corpus speaks nine languages: its phones are named from one set (tmrvc_data/phone_classes.py)."""
    return ["--phone_classes", "shared"] if ctx.corpus == "real" and not ctx.quick else []


def stage_cache(ctx: Context) -> dict:
    sh(uv_run("tmrvc-build-cache", "--config", ROOT / "configs/data/cache.yaml",
              "--manifest", ctx.work / "preprocessed/manifest.jsonl", "--out", ctx.work / "cache",
              *cache_overrides(ctx)),
       ctx.work / "logs/cache.log")
    return {"dir": str(ctx.work / "cache"), "bytes": sum(f.stat().st_size for f in (ctx.work / "cache").rglob("*") if f.is_file())}


def stage_train(ctx: Context) -> dict:
    runs = ctx.work / "runs"
    common = ["--cache", ctx.work / "cache", "--out_dir", runs, "--students", runs / "students.pt",
              "--teacher", runs / "teacher.pt"]
    timings, steps = {}, {}
    for step in TRAIN_CHAIN:
        tool = "tmrvc-train-teacher" if step == "teacher" else "tmrvc-distill"
        config = stage_config(ctx, step)
        scaled = {"steps": QUICK_STEPS} if ctx.quick else scaled_steps(config, ctx.train_scale)
        steps[step] = scaled["steps"]
        t0 = time.perf_counter()
        print(f"[demo]   training stage {step} ({steps[step]} steps) ...", flush=True)
        overrides = [a for key, value in scaled.items() for a in (f"--{key}", value)]
        sh(uv_run(tool, "--config", config, *common, *overrides), ctx.work / f"logs/train_{step}.log")
        timings[step] = time.perf_counter() - t0
    return {"students": str(runs / "students.pt"), "teacher": str(runs / "teacher.pt"), "stage_seconds": timings,
            "stage_steps": steps, "train_scale": ctx.train_scale, "tensorboard": str(runs)}


# Settings that name the step where a training phase begins (teacher: spectral losses, room augmentation;
# vocoder: the adversarial loss). They scale with the steps so a longer run is the same recipe, stretched.
PHASE_START_KEYS = ("spectral_from", "augment_from", "adv_start")


def scaled_steps(config: Path, scale: float) -> dict[str, int]:
    """A stage's `steps` and phase starts from the recipe, times the demo's --train-scale (learning-rate schedules
    follow `steps` on their own)."""
    recipe = yaml.safe_load(config.read_text())
    steps = recipe.get("steps")
    if not isinstance(steps, int) or steps < 1:
        raise StageError(f"{config} has no positive integer `steps:`; the demo recipe needs one per stage")
    scaled = {"steps": max(1, round(steps * scale))}
    for key in PHASE_START_KEYS:
        if isinstance(recipe.get(key), int) and recipe[key] > 0:  # 0 = from the start, -1 = never: not step numbers
            scaled[key] = round(recipe[key] * scale)
    return scaled


def stage_phones(ctx: Context) -> dict:
    """Frame phone accuracy of the trained content encoder on the held-out and validation voices (issue 18, step 4):
    can it name phones of voices it never heard? Also two training voices, for scale."""
    from eval_phone_accuracy import accuracy_rows  # noqa: PLC0415

    try:
        rows = accuracy_rows(ctx.work / "runs/students.pt", ctx.work / "cache", ["test", "val"])
    except ValueError as exc:  # a content encoder with free features has no phones to score
        return {"rows": [], "note": str(exc)}
    train = [r for r in accuracy_rows(ctx.work / "runs/students.pt", ctx.work / "cache", ["train"], max_utts=4)
             if "_aug" not in r["voice"]]
    return {"rows": rows + train[:: max(1, len(train) // 4)][:4]}


def stage_export(ctx: Context) -> dict:
    models = ctx.out / "models"
    if models.exists():
        shutil.rmtree(models)
    log = sh(uv_run("tmrvc-export", "--checkpoint", ctx.work / "runs/students.pt", "--output-dir", models),
             ctx.work / "logs/export.log")
    make_int8_folder(models, ctx.out / "models-int8")
    meta = json.loads((models / "metadata.json").read_text())
    return {"models": str(models), "models_int8": str(ctx.out / "models-int8"), "log": log.strip().splitlines()[-6:],
            "verification": meta.get("verification", {})}



def splits(ctx: Context) -> dict:
    return json.loads((ctx.work / "corpus/splits.json").read_text())


def corpus_wav(ctx: Context, voice: str, sentence: str) -> Path:
    return ctx.work / "corpus/wavs" / voice / f"{voice}__{sentence}.wav"


def write_at_rate(src: Path, dst: Path, rate: int) -> None:
    x, sr = sf.read(src, dtype="float64", always_2d=True)
    y = resample(x.mean(axis=1), int(sr), rate) if sr != rate else x.mean(axis=1)
    dst.parent.mkdir(parents=True, exist_ok=True)
    sf.write(dst, y.astype(np.float32), rate, subtype="FLOAT")


def stage_eval_set(ctx: Context) -> dict:
    """Held-out voices × held-out sentences at 48 kHz: sources, the target's ground truth, target references."""
    s = splits(ctx)
    voices, sentences = s["voices"]["test"], s["sentences"]["test"]
    if len(voices) < 2:
        raise StageError(f"the corpus has {len(voices)} held-out voice(s); the demo needs 2 (target + source)")
    target, sources = voices[0], voices[1:]
    if ctx.corpus == "real" and not ctx.quick:
        target, sources = REAL_DEMO_TARGET, REAL_DEMO_SOURCES
    outsiders = s["voices"]["val"] + s["voices"]["train"]  # the "another voice" baseline: neither target nor a source
    ev = ctx.work / "evalset"
    texts = {}
    for line in (ctx.work / "corpus/manifest.jsonl").read_text().splitlines():
        rec = json.loads(line)
        texts[rec["sentence"]] = rec.get("text", "")
    pairs = []
    for src in sources:
        other = outsiders[0]
        for sent in sentences:
            if not all(corpus_wav(ctx, v, sent).exists() for v in (src, target, other)):
                continue  # a sentence of another language (the real corpus speaks nine)
            name = f"{src}__{sent}"
            write_at_rate(corpus_wav(ctx, src, sent), ev / "source" / f"{name}.wav", EVAL_RATE)
            write_at_rate(corpus_wav(ctx, target, sent), ev / "ground_truth" / f"{name}.wav", EVAL_RATE)
            write_at_rate(corpus_wav(ctx, other, sent), ev / "other" / f"{name}.wav", EVAL_RATE)
            if texts.get(sent):  # reference text for the word error rate
                (ev / "source" / f"{name}.txt").write_text(texts[sent])
            pairs.append(name)
    enrol = [corpus_wav(ctx, target, sent) for sent in s["sentences"]["train"] + s["sentences"]["val"]]
    enrol = [p for p in enrol if p.exists()][:20]
    for p in enrol:
        write_at_rate(p, ev / "target_ref" / p.name, EVAL_RATE)
    return {"target": target, "sources": sources, "sentences": sentences, "pairs": pairs,
            "enrol_files": [str(p) for p in enrol], "dir": str(ev)}


def stage_enroll(ctx: Context) -> dict:
    files = ctx.results["eval_set"]["enrol_files"]
    out = ctx.out / "target.tmrvc_speaker"
    extra = ["--steps", QUICK_STEPS] if ctx.quick else []
    sh(uv_run("tmrvc-enroll", "--models", ctx.out / "models", "--out", out, "--name",
              ctx.results["eval_set"]["target"], *extra, *files), ctx.work / "logs/enroll.log")
    # The same speaker without its bank, for the report's before/after row (the converter's own envelopes).
    speaker = read_speaker_file(out)
    no_bank = ctx.out / "target_no_bank.tmrvc_speaker"
    write_speaker_file(no_bank, without_bank(speaker))
    return {"speaker": str(out), "speaker_no_bank": str(no_bank), "utterances": len(files),
            "bank_frames": int(speaker.metadata.get("bank_frames", 0))}


TRAINING_STAGES = [
    Stage("corpus", stage_corpus, lambda c: [c.work / "corpus/manifest.jsonl"]),
    Stage("preprocess", stage_preprocess, lambda c: [c.work / "preprocessed/manifest.jsonl"]),
    Stage("cache", stage_cache, lambda c: [c.work / "cache"]),
    Stage("train", stage_train, lambda c: [c.work / "runs/students.pt"]),
    Stage("phones", stage_phones, lambda c: []),
    Stage("export", stage_export, lambda c: [c.out / "models/metadata.json", c.out / "models-int8/metadata.json"]),
    Stage("eval_set", stage_eval_set, lambda c: [c.work / "evalset/source"]),
    Stage("enroll", stage_enroll, lambda c: [c.out / "target.tmrvc_speaker", c.out / "target_no_bank.tmrvc_speaker"]),
]
