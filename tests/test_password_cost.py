"""The product hashes passwords at full cost (the tests' own processes use the lowest,
see conftest.py): checked in a fresh process, as run.py starts."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher
from intake_env import ROOT

CHECK = (
    "from pipeline.accounts import passwords; h = passwords.HASHER; "
    "print(h.time_cost, h.memory_cost, h.parallelism, h.hash('staff-pass-1234')[:9])"
)


def test_the_product_hashes_at_argon2s_recommended_cost():
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, cwd=ROOT, timeout=120
    ).stdout.split()
    default = PasswordHasher()
    assert [int(v) for v in out[:3]] == [default.time_cost, default.memory_cost, default.parallelism]
    assert default.time_cost >= 2 and default.memory_cost >= 19 * 1024  # OWASP's floor for argon2id
    assert out[3] == "$argon2id"
