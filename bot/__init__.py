"""outsourcebot core: curated answers on outsourcing and Moore's strategy ideas.

This package never imports a chat platform library; adapters translate to and
from `Message` and `Reply`.
"""

import os
import sys

# NumPy's OpenBLAS would start a thread per core for every matrix product, the question's cosine with
# every chunk included (bot.search.retrieval). Those threads fight onnxruntime's pool and the event loop
# for the same cores; on a busy machine a 50 us product then waits milliseconds for a descheduled
# helper thread. One thread gives bit-identical products (checked on the index, and `eval` is unchanged).
# OpenBLAS reads the variable once, when NumPy loads, so it is set here, before any module of the bot
# imports NumPy; a value already in the environment wins.
BLAS_THREADS_UNSET = "numpy" in sys.modules and "OPENBLAS_NUM_THREADS" not in os.environ
"""True when NumPy was loaded before this package with no OPENBLAS_NUM_THREADS, too late to set it
(the serving encoder then logs a warning)."""
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bot.messages import Message, Reply, Source, Suggestion  # noqa: E402 (NumPy must not load before the line above)

__all__ = ["Message", "Reply", "Source", "Suggestion"]
__version__ = "0.1.0"
"""The release version; pyproject.toml reads it from here (its only source)."""
