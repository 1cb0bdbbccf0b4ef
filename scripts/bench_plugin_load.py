"""Prints how long pedalboard takes to load a TMRVC.vst3 bundle, each try in a fresh subprocess (cold process,
warm file cache), plus the bundle's size. Usage: uv run python scripts/bench_plugin_load.py BUNDLE [--tries N]."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

PROBE = ("import sys, time, pedalboard; t = time.perf_counter(); pedalboard.load_plugin(sys.argv[1]); "
         "print(time.perf_counter() - t)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--tries", type=int, default=5)
    args = parser.parse_args()
    if not (args.bundle / "Contents").is_dir():
        sys.exit(f"{args.bundle} is not a VST3 bundle: run 'make plugin' and pass .../VST3/TMRVC.vst3")
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "PYTHONPATH")}
    times = []
    for i in range(args.tries):
        out = subprocess.run([sys.executable, "-c", PROBE, str(args.bundle)], capture_output=True, text=True,
                             env=env, check=True).stdout
        times.append(float(out.split()[-1]))
        print(f"try {i + 1}/{args.tries}: {times[-1] * 1e3:.0f} ms", flush=True)
    size = sum(p.stat().st_size for p in args.bundle.rglob("*") if p.is_file())
    print(f"bundle size: {size / 2**20:.1f} MiB; pedalboard load: median {statistics.median(times) * 1e3:.0f} ms "
          f"(min {min(times) * 1e3:.0f}, max {max(times) * 1e3:.0f}) over {args.tries} subprocesses")


if __name__ == "__main__":
    main()
