"""analysis.install_commands: the install commands of a shell line, and what each installs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nb_discipline.analysis.install_commands import install_commands


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pip install pandas", [("pip", [("pandas", False)])]),
        (
            "pip install -q -U pandas==2.2.3 'numpy>=2'",
            [("pip", [("pandas==2.2.3", True), ("numpy>=2", False)])],
        ),
        (
            "pip3 install --index-url https://example.invalid/simple torch==2.4.0",
            [("pip", [("torch==2.4.0", True)])],
        ),
        ("python -m pip install seaborn", [("pip", [("seaborn", False)])]),
        ("{sys.executable} -m pip install seaborn", [("pip", [("seaborn", False)])]),
        ("/opt/conda/bin/pip install seaborn > /dev/null", [("pip", [("seaborn", False)])]),
        ("pip install -r requirements.txt", [("pip", [])]),
        ("pip install -e . && pip install ./wheels/x.whl", [("pip", []), ("pip", [])]),
        ("pip install --upgrade pip setuptools wheel", [("pip", [])]),
        ("pip install git+https://example.invalid/x.git", [("pip", [])]),
        (
            "pip install mylib@https://example.invalid/x.whl",
            [("pip", [("mylib@https://example.invalid/x.whl", True)])],
        ),
        ("pip install {package}", [("pip", [])]),
        ("pip list", []),
        ("pip show pandas", []),
        (
            "conda install -y -c conda-forge numpy=1.26.4 scipy",
            [("conda", [("numpy=1.26.4", True), ("scipy", False)])],
        ),
        ("mamba install -n base lightgbm", [("mamba", [("lightgbm", False)])]),
        (
            "uv pip install polars==1.0.0 duckdb",
            [("uv", [("polars==1.0.0", True), ("duckdb", False)])],
        ),
        ("echo pip install pandas", []),
        # Words as the shell splits them: redirections, pipes, chains, quotes, comments.
        ("pip install pandas > tmp.log 2>&1", [("pip", [("pandas", False)])]),
        ("pip install -q lightgbm &> /dev/null", [("pip", [("lightgbm", False)])]),
        ("pip install pandas>/dev/null", [("pip", [("pandas", False)])]),
        ("pip install xgboost | tail -1", [("pip", [("xgboost", False)])]),
        (
            "pip freeze | grep kfp==1.8 || pip install kfp; pip install 'tfx[kfp]<2'",
            [("pip", [("kfp", False)]), ("pip", [("tfx[kfp]<2", False)])],
        ),
        ('pip install "pandas>=2" -r requirements.txt', [("pip", [("pandas>=2", False)])]),
        (
            "pip install 'bar==1.0; python_version < \"3.8\"' # for old kernels",
            [("pip", [('bar==1.0; python_version < "3.8"', True)])],
        ),
        ("pip install pandas==2.2.3 'unclosed", []),
        # The word `install` as quotes and backslashes make it, not as written.
        ("pip ins'tall' pandas", [("pip", [("pandas", False)])]),
        ('pip "inst"all pandas', [("pip", [("pandas", False)])]),
        ("pip inst\\all pandas", [("pip", [("pandas", False)])]),
        # Options as pip reads them: values of `-i`, `--target`..., letters run together.
        ("pip install -i https://example.invalid/simple torch", [("pip", [("torch", False)])]),
        ("pip install --target libs -qU six", [("pip", [("six", False)])]),
        ("pip install -rrequirements.txt -Uq tqdm", [("pip", [("tqdm", False)])]),
        ("pip -q install imageio", [("pip", [("imageio", False)])]),
        ("sudo -H pip install apache-beam[gcp]", [("pip", [("apache-beam[gcp]", False)])]),
        ("pip install --user $PACKAGES {USER_FLAG} six", [("pip", [("six", False)])]),
        (
            "pip install pkg[extra]==1.0 ./vendor/lib /tmp/x.tar.gz",
            [("pip", [("pkg[extra]==1.0", True)])],
        ),
        # Nothing installed, or versions that a constraints file may pin.
        ("pip install - q - U Slacker", [("pip", [])]),
        ("pip install pandas -", [("pip", [])]),
        ("pip install --dry-run pandas", [("pip", [])]),
        ("pip install -c constraints.txt pandas", [("pip", [])]),
        ("pip install --help", [("pip", [])]),
        ("python -c 'import pip' install pandas", []),
    ],
)
def test_install_commands(command: str, expected) -> None:  # (argument, pinned) per package
    found = [
        (c.tool, [(p.argument, p.pinned) for p in c.packages]) for c in install_commands(command)
    ]
    assert found == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.builds("pip install {}".format, st.text(max_size=60)))
def test_any_command_line_is_understood_or_ignored(command: str) -> None:
    for install in install_commands(command):
        assert install.tool in {"pip", "conda", "mamba", "micromamba", "uv"}
