"""Helpers for the tests that drive the built TMRVC VST3 in real hosts (pedalboard, DawDreamer).

The plugin's own state blob (tmrvc-plugin/src/PluginState.h) is JUCE's copyXmlToBinary layout:
uint32 LE magic 0x21324356, uint32 LE text length, UTF-8 XML, NUL. Hosts built on JUCE (both libraries here)
wrap a VST3 plugin's component state as `<VST3PluginState><IComponent>JUCE-base64</IComponent>...` inside the
same binary layout; JUCE's base64 is "<byte count>.<chars>" with its own alphabet and LSB-first bit order.
These helpers are written from those format descriptions, not taken from the plugin's code.
"""

from __future__ import annotations

import os
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

ROOT = Path(__file__).resolve().parents[2]
JUCE_MAGIC = 0x21324356
JUCE_B64 = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"
STATE_VERSION = 1


def build_dirs() -> list[Path]:
    """$TMRVC_BUILD_DIR when set (make test), else build/ and build-plugin/ (a local plugin build)."""
    if os.environ.get("TMRVC_BUILD_DIR"):
        return [Path(os.environ["TMRVC_BUILD_DIR"])]
    return [ROOT / "build", ROOT / "build-plugin"]


def find_plugin() -> Path | None:
    """TMRVC_PLUGIN_PATH, else the first TMRVC.vst3 bundle under a build directory."""
    if os.environ.get("TMRVC_PLUGIN_PATH"):
        return Path(os.environ["TMRVC_PLUGIN_PATH"])
    for d in build_dirs():
        found = sorted((d / "tmrvc-plugin").glob("TmrvcPlugin_artefacts/*/VST3/TMRVC.vst3"))
        if found:
            return found[0]
    return None


def plugin_or_skip() -> Path:
    path = find_plugin()
    if path is None:
        pytest.skip("TMRVC plugin not built (set TMRVC_PLUGIN_PATH or build with -DTMRVC_BUILD_PLUGIN=ON)")
    assert path.is_dir(), f"TMRVC_PLUGIN_PATH={path} is not a VST3 bundle"
    return path


def find_convert(plugin: Path) -> Path:
    """tmrvc-convert of the same build tree as the plugin bundle (or TMRVC_BUILD_DIR)."""
    for parent in plugin.parents:
        candidate = parent / "tmrvc-engine" / "tmrvc-convert"
        if candidate.is_file():
            return candidate
    for d in build_dirs():
        if (d / "tmrvc-engine" / "tmrvc-convert").is_file():
            return d / "tmrvc-engine" / "tmrvc-convert"
    raise AssertionError(f"tmrvc-convert not found next to {plugin}: build the engine tools")


def juce_b64encode(data: bytes) -> str:
    bits = int.from_bytes(data, "little")
    n_chars = (len(data) * 8 + 5) // 6
    return f"{len(data)}." + "".join(JUCE_B64[(bits >> (6 * i)) & 63] for i in range(n_chars))


def juce_b64decode(text: str) -> bytes:
    size, _, chars = text.strip().partition(".")
    bits = 0
    for i, ch in enumerate(chars):
        bits |= JUCE_B64.index(ch) << (6 * i)
    return (bits & ((1 << (8 * int(size))) - 1)).to_bytes(int(size), "little")


def juce_xml_to_binary(xml_text: str) -> bytes:
    body = xml_text.encode("utf-8") + b"\0"
    return struct.pack("<II", JUCE_MAGIC, len(body) - 1) + body


def juce_binary_to_xml(blob: bytes) -> ET.Element:
    magic, length = struct.unpack_from("<II", blob)
    assert magic == JUCE_MAGIC, f"not a JUCE XML blob (magic {magic:#x})"
    return ET.fromstring(blob[8 : 8 + length].rstrip(b"\0").decode("utf-8"))


def plugin_state(model_dir: str = "", speaker: str = "", params: dict[str, float] | None = None,
                 version: int | str = STATE_VERSION) -> bytes:
    """The plugin's own state blob (what its getStateInformation writes)."""
    root = ET.Element("TMRVC_STATE", {"version": str(version), "modelDir": str(model_dir), "speakerPath": str(speaker)})
    for key, value in (params or {}).items():
        ET.SubElement(root, "PARAM", {"id": key, "value": repr(float(value))})
    return juce_xml_to_binary(ET.tostring(root, encoding="unicode"))


def host_state(component: bytes) -> bytes:
    """Wraps a plugin state the way JUCE-based hosts store a VST3 plugin (pedalboard raw_state, DawDreamer files)."""
    root = ET.Element("VST3PluginState")
    ET.SubElement(root, "IComponent").text = juce_b64encode(component)
    return juce_xml_to_binary(ET.tostring(root, encoding="unicode"))


def component_of(host_blob: bytes) -> bytes:
    """The plugin's component state inside a host blob, without JUCE's trailing private-data section."""
    data = juce_b64decode(juce_binary_to_xml(host_blob).find("IComponent").text)
    tag = b"JUCEPrivateData"
    if data.endswith(tag):
        (private_size,) = struct.unpack_from("<q", data, len(data) - len(tag) - 8)
        data = data[: len(data) - len(tag) - 8 - private_size - 8]
    return data


def parse_plugin_state(component: bytes) -> ET.Element:
    return juce_binary_to_xml(component)


def speech_like(rate: int, seconds: float, seed: int = 0) -> np.ndarray:
    """A harmonic tone with vibrato and a little noise: (n,) float32 in [-0.5, 0.5]."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    f0 = 130 + 25 * np.sin(2 * np.pi * 3 * t) + 7 * seed
    phase = 2 * np.pi * np.cumsum(f0) / rate
    x = sum(np.sin(k * phase) / k for k in range(1, 25)) * 0.12 + 0.003 * rng.standard_normal(t.size)
    return x.astype(np.float32)


def convert_reference(convert: Path, models: Path, speaker: Path, x: np.ndarray, rate: int, block: int,
                      tmp: Path, q: float = 0.0, pitch: float = 0.0) -> tuple[np.ndarray, int]:
    """tmrvc-convert on x at `rate` streamed in blocks of `block`: (output (n,), reported latency)."""
    src, dst = tmp / f"in_{rate}_{block}.wav", tmp / f"out_{rate}_{block}.wav"
    wavfile.write(src, rate, x.astype(np.float32))
    run = subprocess.run([str(convert), "--models", str(models), "--speaker", str(speaker), "--block", str(block),
                          "--q", f"{q:.9g}", "--pitch", f"{pitch:.9g}", str(src), str(dst)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    latency = int(run.stdout.split("latency:")[1].split()[0])
    import soundfile  # noqa: PLC0415  (libsndfile writes a PAD chunk scipy warns about)

    y, file_rate = soundfile.read(dst, dtype="float32")
    assert file_rate == rate and y.shape == x.shape
    return y, latency
