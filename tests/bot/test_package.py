"""What importing the `bot` package sets up before anything else loads."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Records OPENBLAS_NUM_THREADS at the moment NumPy is first imported (OpenBLAS reads it then, once),
# then goes the way the CLI does: the adapters' entry point, then the search that multiplies matrices.
PROBE = """
import builtins, os, sys
seen = []
real_import = builtins.__import__
def watching(name, *args, **kwargs):
    if name.split(".")[0] == "numpy" and "numpy" not in sys.modules and not seen:
        seen.append(os.environ.get("OPENBLAS_NUM_THREADS"))
    return real_import(name, *args, **kwargs)
builtins.__import__ = watching
import adapters.cli
import bot.search.retrieval
print(seen[0] if seen else "numpy never imported")
"""


def test_numpy_loads_with_one_blas_thread() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "1"


def test_a_blas_thread_count_already_set_is_kept() -> None:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "2"


def test_numpy_loaded_first_is_noticed() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env["PYTHONPATH"] = str(REPO)
    probe = "import {first}; import bot; print(bot.BLAS_THREADS_UNSET)"
    late, early = (
        subprocess.run(
            [sys.executable, "-c", probe.format(first=first)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        for first in ("numpy", "json")
    )
    assert (late, early) == ("True", "False")
