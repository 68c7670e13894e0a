"""seed_everything(seed): one call that seeds every random number generator a notebook may use.

Which libraries are seeded: Python's `random` always; numpy, torch and tensorflow/keras only when
they are already imported (present in `sys.modules`). Importing torch or tensorflow costs seconds,
and `nbcheck repro` calls this before the first cell of every notebook run, so a notebook that never
uses them must not pay for them. A library imported later is not seeded by an earlier call: a
caller that knows what the code about to run imports passes it as `libraries` (`%%production` does),
and a notebook that imports torch after seeding should call `seed_everything` again.

numpy is the exception worth a second thought: it is cheap (about 0.1 s) and scikit-learn draws from
its global generator when `random_state` is None, so with `import_numpy=True` (the default) numpy is
imported and seeded when it is installed, even when nothing imported it yet.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import sys
import warnings
from collections.abc import Iterable

PYTHONHASHSEED_HINT = (
    "PYTHONHASHSEED was not set when this interpreter started, so the iteration order of sets of "
    "strings (and anything hashed by str) changes from run to run; it cannot be fixed at run time. "
    "Set it before the kernel starts: `PYTHONHASHSEED=0 jupyter lab`, an `env` block in the "
    'kernelspec (kernel.json: "env": {"PYTHONHASHSEED": "0"}), or `nbcheck repro`, which sets it.'
)

SEEDED_LIBRARIES = frozenset({"numpy", "torch", "tensorflow", "keras"})

_warned_about_hash_seed = False


def seed_everything(
    seed: int, *, import_numpy: bool = True, libraries: Iterable[str] = ()
) -> dict[str, str]:
    """Seed Python's `random`, numpy, torch (CPU and CUDA) and tensorflow/keras with `seed`.

    Returns what was seeded: library name -> how, for example `{"random": "random.seed", ...}`.

    torch and tensorflow are seeded only when already imported (see the module docstring), or
    when named in `libraries` (the top-level modules the code about to run imports: they are
    imported first when installed); numpy also when merely installed, unless
    `import_numpy=False`. torch is put in deterministic mode
    (`torch.use_deterministic_algorithms(True, warn_only=True)`, cudnn benchmark off) and
    tensorflow's op determinism is enabled. Warns once per process when PYTHONHASHSEED was not set
    before the interpreter started.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be between 0 and 2**32 - 1, not {seed}")
    _warn_if_hash_seed_unset()
    for name in SEEDED_LIBRARIES.intersection(libraries):
        if name not in sys.modules and _installed(name):
            importlib.import_module(name)
    seeded = {"random": "random.seed"}
    random.seed(seed)
    if "numpy" in sys.modules or (import_numpy and _installed("numpy")):
        import numpy

        numpy.random.seed(seed)
        seeded["numpy"] = "numpy.random.seed"
    if "torch" in sys.modules:
        seeded["torch"] = _seed_torch(seed)
    if "tensorflow" in sys.modules:
        seeded["tensorflow"] = _seed_tensorflow(seed)
    elif "keras" in sys.modules:  # keras 3 on the jax or torch backend
        import keras

        keras.utils.set_random_seed(seed)
        seeded["keras"] = "keras.utils.set_random_seed"
    return seeded


def hash_seed_is_fixed() -> bool:
    """True when PYTHONHASHSEED fixed str hashing for this interpreter (set, and not 'random')."""
    value = os.environ.get("PYTHONHASHSEED")
    if value is None or value == "random":
        return False
    # "0" switches randomization off at start-up; the flag tells whether it really did (the variable
    # may have been put in os.environ after start-up, too late to matter).
    return value != "0" or sys.flags.hash_randomization == 0


def _warn_if_hash_seed_unset() -> None:
    global _warned_about_hash_seed
    if _warned_about_hash_seed or hash_seed_is_fixed():
        return
    _warned_about_hash_seed = True
    warnings.warn(PYTHONHASHSEED_HINT, RuntimeWarning, stacklevel=3)


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _seed_torch(seed: int) -> str:
    import torch

    torch.manual_seed(seed)  # seeds every CUDA device too
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    # cuBLAS needs this to be deterministic on CUDA >= 10.2; it is read when CUDA initialises.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    return "torch.manual_seed + deterministic algorithms, cudnn benchmark off"


def _seed_tensorflow(seed: int) -> str:
    import tensorflow

    # Seeds Python's random, numpy and tensorflow together (keras 2 and 3 alike).
    tensorflow.keras.utils.set_random_seed(seed)
    try:
        tensorflow.config.experimental.enable_op_determinism()
    except (AttributeError, RuntimeError):  # tensorflow < 2.9, or called after ops ran
        return "tf.keras.utils.set_random_seed"
    return "tf.keras.utils.set_random_seed + op determinism"
