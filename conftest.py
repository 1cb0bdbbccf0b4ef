"""Shared by every test folder (pytest loads the rootdir's conftest first): torch on one intra-op thread.

The tests' models are tiny: one thread is the fastest, and more spin-wait badly on a loaded 2-core machine.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
