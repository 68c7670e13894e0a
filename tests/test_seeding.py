"""seed_everything: what it seeds, what it leaves alone, and the PYTHONHASHSEED warning."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap

import numpy
import pytest

from nb_discipline import seed_everything

# The warning is tested in fresh interpreters below; in this process it would fire at most once.
pytestmark = pytest.mark.filterwarnings("ignore:PYTHONHASHSEED was not set:RuntimeWarning")


def _draws() -> tuple[float, float]:
    return random.random(), float(numpy.random.random())


def test_same_seed_gives_the_same_random_and_numpy_streams() -> None:
    seed_everything(7)
    first = _draws()
    seed_everything(7)
    assert _draws() == first
    seed_everything(8)
    assert _draws() != first


def test_reports_what_it_seeded() -> None:
    seeded = seed_everything(1)
    assert seeded["random"] == "random.seed"
    assert seeded["numpy"] == "numpy.random.seed"


def test_scikit_learn_without_random_state_follows_the_seed() -> None:
    from sklearn.utils import check_random_state

    seed_everything(3)
    first = check_random_state(None).randint(1_000_000)
    seed_everything(3)
    assert check_random_state(None).randint(1_000_000) == first


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "42"])
def test_rejects_seeds_numpy_cannot_take(seed) -> None:
    with pytest.raises((TypeError, ValueError)):
        seed_everything(seed)


def _fresh_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-W", "default", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )


def test_imports_no_heavy_library_the_notebook_did_not_import() -> None:
    result = _fresh_python(
        """
        import sys
        from nb_discipline import seed_everything
        seeded = seed_everything(0, import_numpy=False)
        heavy = {"numpy", "torch", "tensorflow", "keras", "jax"} & set(sys.modules)
        print(sorted(seeded), sorted(heavy))
        """,
        PYTHONHASHSEED="0",
    )
    assert result.stdout.strip() == "['random'] []"


def test_imports_and_seeds_the_libraries_the_coming_code_imports() -> None:
    result = _fresh_python(
        """
        import sys
        from nb_discipline import seed_everything
        seeded = seed_everything(0, import_numpy=False, libraries=["numpy", "sqlite3", "nope"])
        print(sorted(seeded), "sqlite3" in sys.modules)
        """,
        PYTHONHASHSEED="0",
    )
    assert result.stdout.strip() == "['numpy', 'random'] False"


def test_warns_once_when_pythonhashseed_was_not_set() -> None:
    result = _fresh_python(
        """
        from nb_discipline import seed_everything
        seed_everything(0)
        seed_everything(1)
        """
    )
    assert result.stderr.count("PYTHONHASHSEED was not set") == 1
    assert "PYTHONHASHSEED=0 jupyter lab" in result.stderr


def test_setting_pythonhashseed_after_start_up_does_not_silence_the_warning() -> None:
    result = _fresh_python(
        """
        import os
        os.environ["PYTHONHASHSEED"] = "0"
        from nb_discipline import seed_everything
        seed_everything(0)
        """
    )
    assert "PYTHONHASHSEED was not set" in result.stderr


@pytest.mark.parametrize("value", ["0", "1234"])
def test_no_warning_when_pythonhashseed_was_set(value: str) -> None:
    result = _fresh_python(
        """
        from nb_discipline import seed_everything
        seed_everything(0)
        """,
        PYTHONHASHSEED=value,
    )
    assert "PYTHONHASHSEED" not in result.stderr
