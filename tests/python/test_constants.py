"""configs/constants.yaml is the single source of truth: the generated Python and C++ files must be current and
carry the same values and hash."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tmrvc_core import constants as C

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "tmrvc-engine/include/tmrvc/constants.h"


def test_generated_files_are_current() -> None:
    proc = subprocess.run([sys.executable, ROOT / "scripts/generate_constants.py", "--check"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, f"stale generated constants:\n{proc.stdout}{proc.stderr}"


def test_check_detects_a_stale_file() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import generate_constants as gen

    values = gen.load_constants()
    values["hop_length"] = values["hop_length"] + 1
    text = gen.render_python(values, gen.derive(values))
    assert text != (ROOT / "tmrvc-core/src/tmrvc_core/constants.py").read_text(), "a changed YAML must change the output"
    assert gen.constants_hash(values) != C.CONSTANTS_HASH


def test_python_and_cpp_agree_on_every_value() -> None:
    header = HEADER.read_text()
    values = yaml.safe_load((ROOT / "configs/constants.yaml").read_text())
    for key, value in values.items():
        cname = "k" + "".join(p.capitalize() for p in key.split("_"))
        m = re.search(rf"{cname} = (.+);", header)
        assert m, f"{cname} missing from constants.h"
        assert getattr(C, key.upper()) == (tuple(value) if isinstance(value, list) else value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert float(m.group(1)) == float(value), key
    assert f'kConstantsHash = "{C.CONSTANTS_HASH}"' in header


def test_derived_lora_size_matches_the_contract_formula() -> None:
    d_in = C.D_SPEAKER + C.N_ACOUSTIC_PARAMS
    d_out = 2 * C.D_CONVERTER_HIDDEN
    assert C.LORA_SIZE == C.N_LORA_LAYERS * (C.LORA_RANK * d_in + d_out * C.LORA_RANK) == 15872
