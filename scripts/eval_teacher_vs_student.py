#!/usr/bin/env python3
"""Teacher vs 1-step student on the demo's conversion task, both judged in the same domain.

The teacher produces log-mel (80 bands); the student produces the vocoder's 513 log-magnitudes. To compare
them fairly both go through one path: log-mel → linear magnitude by the mel filterbank's pseudo-inverse →
the student vocoder's magnitude → the engine's phase reconstruction and iSTFT. The student's features are
first reduced to log-mel exactly as training does (``FeaturesToMel``), so the only difference left between
the two outputs is the model that made the mel. Conditioning is the conversion the demo evaluates: content
and F0 of a held-out source utterance, the enrolled target's speaker embedding (its LoRA delta applies to the
student's FiLM only: the teacher has none), and per-frame acoustic parameters from the student estimator.

Both directories are scored with tmrvc-eval against the demo's source / target_ref / ground_truth sets, and
"gap closed" = (converted − identity) / (ground truth − identity) per metric, with identity and ground truth
taken from the demo's own eval (demo-output/eval/{identity,ground_truth}/metrics.json).

    uv run python scripts/eval_teacher_vs_student.py --demo demo-output [--teacher-steps 8]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from tqdm import tqdm

from tmrvc_core.constants import FEATURE_FLOOR
from tmrvc_core.dsp import istft_ola, log_mel, magnitude_phase, mel_filterbank, resample
from tmrvc_core.dsp.f0 import f0_track
from tmrvc_core.dsp.phase import reconstruct_phase
from tmrvc_core.speaker_file import read_speaker_file
from tmrvc_train.losses import FeaturesToMel
from tmrvc_train.models import load_checkpoint
from tmrvc_train.teacher import Condition, euler_sample, load_teacher
from tmrvc_train.trainers.data import f0_model_input

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_engine import GAP_METRICS, demo_baselines, eval_dir, gap_closed  # noqa: E402  (the demo's own eval)

ROOT = Path(__file__).resolve().parents[1]
MODEL_RATE = 24000


class MelToFeatures:
    """log-mel (80, T) → vocoder features (513, T): pseudo-inverse of the filterbank, clipped at the floor."""

    def __init__(self) -> None:
        self.pinv = np.linalg.pinv(mel_filterbank().astype(np.float64))

    def __call__(self, logmel: np.ndarray) -> np.ndarray:
        mag = self.pinv @ np.exp(logmel.astype(np.float64))
        return np.log(np.maximum(mag, FEATURE_FLOOR)).astype(np.float32)


def synthesise(students, feats: np.ndarray) -> np.ndarray:
    """features (513, T) → 24 kHz waveform through the student vocoder's magnitude and the engine's phase rule."""
    with torch.no_grad():
        mag, _ = students.vocoder(torch.from_numpy(feats)[None])
    mag = mag[0].double().numpy()
    return istft_ola(mag, reconstruct_phase(mag))


def convert(x24: np.ndarray, students, teacher, norm, speaker, steps: int, to_feats: MelToFeatures,
            to_mel: FeaturesToMel) -> dict[str, np.ndarray]:
    mag, _ = magnitude_phase(x24)
    mel = torch.from_numpy(log_mel(mag).astype(np.float32))[None]
    f0 = torch.from_numpy(f0_model_input(f0_track(x24))[: mel.shape[-1]])[None, None]
    spk = torch.from_numpy(speaker.spk_embed.astype(np.float32))[None]
    lora = torch.from_numpy(speaker.lora_delta.astype(np.float32))
    with torch.no_grad():
        content = students.content_encoder(mel, f0)
        acoustic = students.ir_estimator(mel).mean(dim=2)  # one setting per utterance
        student_mel = to_mel(students.converter(content, spk, acoustic, lora_delta=lora))[0].numpy()
        g = torch.Generator().manual_seed(0)
        noise = torch.randn(1, mel.shape[1], mel.shape[2], generator=g)
        teacher_mel = norm.decode(euler_sample(teacher, Condition(content, f0, spk, acoustic), steps,
                                               noise=noise))[0].numpy()
    return {name: synthesise(students, to_feats(m)) for name, m in
            (("teacher", teacher_mel), ("student", student_mel))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--demo", type=Path, default=ROOT / "demo-output", help="a finished `make demo` output folder")
    p.add_argument("--teacher-steps", type=int, default=8, help="Euler steps of the teacher (N)")
    p.add_argument("--out", type=Path, default=None, help="default: <demo>/teacher_vs_student")
    a = p.parse_args(argv)
    demo = a.demo.resolve()
    out = (a.out or demo / "teacher_vs_student").resolve()
    runs, ev = demo / "work/runs", demo / "work/evalset"
    for need in (runs / "students.pt", runs / "teacher.pt", demo / "target.tmrvc_speaker", ev / "source",
                 demo / "eval/identity/metrics.json", demo / "eval/ground_truth/metrics.json"):
        if not need.exists():
            sys.exit(f"missing {need}: run `make demo` first (or pass --demo pointing at its output)")
    torch.set_num_threads(2)
    students, _ = load_checkpoint(runs / "students.pt")
    teacher, norm, _ = load_teacher(runs / "teacher.pt")
    speaker = read_speaker_file(demo / "target.tmrvc_speaker", allow_model_id_mismatch=True)
    to_feats, to_mel = MelToFeatures(), FeaturesToMel()
    sources = sorted((ev / "source").glob("*.wav"))
    for src in tqdm(sources, desc="teacher and student conversions"):
        x, rate = sf.read(src, dtype="float64")
        ys = convert(resample(x, rate, MODEL_RATE), students, teacher, norm, speaker, a.teacher_steps, to_feats,
                     to_mel)
        for name, y in ys.items():
            (out / name).mkdir(parents=True, exist_ok=True)
            sf.write(out / name / src.name, resample(y, MODEL_RATE, rate).astype(np.float32), rate, subtype="FLOAT")
    base = demo_baselines(demo)
    rows = {}
    for name in ("teacher", "student"):
        rows[name] = eval_dir(out / name, ev, out / f"eval_{name}", out / f"eval_{name}.log")["summary"]
    report = {"teacher_steps": a.teacher_steps, "n_files": len(sources), "metrics": {}}
    print(f"{'metric':22s} {'identity':>9s} {'truth':>7s} {'teacher':>8s} {'student':>8s} "
          f"{'gap T':>6s} {'gap S':>6s} {'S/T':>6s} keeps ≥ 90 %")
    for key, label in GAP_METRICS.items():
        i, g = base["identity"][key], base["ground_truth"][key]
        t, s = rows["teacher"][key], rows["student"][key]
        gt, gs = gap_closed(t, i, g), gap_closed(s, i, g)
        # The ratio only means "kept" when the teacher closes some of the gap; otherwise compare directly.
        ratio = gs / gt if gt > 1e-9 else float("nan")
        keeps = gs >= 0.9 * gt if gt > 0 else gs >= gt
        report["metrics"][key] = {"identity": i, "ground_truth": g, "teacher": t, "student": s,
                                  "gap_teacher": gt, "gap_student": gs, "student_over_teacher": ratio,
                                  "student_keeps_90pct": bool(keeps)}
        print(f"{label:22s} {i:9.3f} {g:7.3f} {t:8.3f} {s:8.3f} {gt:6.2f} {gs:6.2f} {ratio:6.2f} "
              f"{'yes' if keeps else 'no'}")
    (out / "summary.json").write_text(json.dumps(report, indent=2))
    print(f"written: {out / 'summary.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
