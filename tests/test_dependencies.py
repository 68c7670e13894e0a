"""NBD401 unpinned-import, NBD402 undeclared-import, NBD403 unpinned-install,
NBD404 unreadable-dependency-file, on projects written to disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nb_discipline.config import Settings, load_settings
from nb_discipline.engine import check
from nb_discipline.loader import load
from nb_discipline.rules import lookup
from tests.builders import code, write_notebook

DEPENDENCY_RULES = ("NBD401", "NBD402", "NBD403", "NBD404")


def make_project(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def run(
    root: Path, *cells: str, settings: Settings | None = None, where: str = "notebooks/nb.ipynb"
):
    path = write_notebook(root / where, *(code(src, n) for n, src in enumerate(cells, 1)))
    rules = [lookup(code_) for code_ in DEPENDENCY_RULES]
    return check(load(str(path)), settings or Settings(root=str(root)), rules=rules)


def summary(diagnostics) -> list[tuple[str, str | None]]:
    return [(d.code, d.symbol) for d in diagnostics]


def test_declared_pinned_unpinned_and_undeclared(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "pandas==2.2.3\nscikit-learn>=1.4\n"})
    found = run(
        tmp_path,
        "import pandas as pd\nfrom sklearn.ensemble import RandomForestClassifier",
        "import seaborn as sns\nimport os, json\nfrom pathlib import Path",
    )
    assert summary(found) == [("NBD401", "scikit-learn"), ("NBD402", "seaborn")]
    unpinned, undeclared = found
    assert unpinned.message == (
        "`sklearn` comes from scikit-learn, which requirements.txt declares without an exact version"
    )
    assert (unpinned.cell, unpinned.location.row, unpinned.location.column) == (1, 2, 1)
    assert (
        unpinned.help
        == "Pin it in requirements.txt: `scikit-learn==<version>` (or use a lock file)"
    )
    assert undeclared.message == (
        "`seaborn` is imported but declared in no dependency file (read: requirements.txt)"
    )


def test_each_module_is_reported_once_at_its_first_import(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "pandas==2.2.3\n"})
    found = run(tmp_path, "import torch", "import torch.nn as nn\nfrom torch import optim")
    assert [(d.cell, d.symbol) for d in found] == [(1, "torch")]


def test_namespace_packages_are_judged_by_their_distribution(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "requirements.txt": "google-cloud-bigquery==3.25.0\nazure-storage-blob>=12\n"
            "protobuf==5.28.0\n"
        },
    )
    found = run(
        tmp_path,
        "from google.cloud import bigquery\nimport google.protobuf.json_format",
        "from azure.storage.blob import BlobServiceClient\nfrom google.cloud import storage",
        "from google.cloud.bigquery import Client",
    )
    assert [(d.code, d.symbol) for d in found] == [
        ("NBD401", "azure-storage-blob"),
        ("NBD402", "google-cloud-storage"),
    ]
    assert found[1].message.startswith("`google.cloud.storage` is imported but declared in no")


def test_a_dotted_import_is_declared_by_the_distribution_its_parts_name(tmp_path: Path) -> None:
    # megatron is a namespace shared by megatron-core and megatron-energon; no table lists it.
    make_project(tmp_path, {"requirements.txt": "megatron_core\nazureml-core==1.57.0\n"})
    found = run(
        tmp_path,
        "from megatron.core import parallel_state",
        "from azureml.core import Workspace\nfrom azureml.widgets import RunDetails",
    )
    assert [(d.code, d.symbol) for d in found] == [
        ("NBD401", "megatron-core"),
        ("NBD402", "azureml-widgets"),
    ]


def test_a_declared_distribution_named_after_an_unknown_module_may_provide_it(
    tmp_path: Path,
) -> None:
    # hydra-core provides `hydra`: where it is not installed, nothing says so, and no claim is made.
    make_project(tmp_path, {"requirements.txt": "hydra-core>1.3,<=1.3.2\nnemo-wordlists\n"})
    assert run(tmp_path, "from hydra.utils import instantiate\nimport wordlists") == []
    assert summary(run(tmp_path, "import hydrangea_xyz")) == [("NBD402", "hydrangea-xyz")]


def test_no_dependency_file_at_all(tmp_path: Path) -> None:
    make_project(tmp_path, {})
    found = run(tmp_path, "import numpy as np")
    assert [d.message for d in found] == [
        "`numpy` is imported but declared in no dependency file (read: none found from the "
        "notebook up to the project root)"
    ]
    assert (
        found[0].help == "Declare it with an exact version in requirements.txt: `numpy==<version>`"
    )


def test_what_is_never_flagged(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "churn"\ndependencies = []\n',
            "notebooks/helpers.py": "",
            "src/churn/__init__.py": "",
        },
    )
    found = run(
        tmp_path,
        "from __future__ import annotations\nimport os, sys, json\nfrom collections import Counter",
        "import helpers\nimport churn.features\nfrom . import sibling\nfrom IPython.display import display",
        "try:\n    import ujson as json\nexcept ImportError:\n    import json",
        "try:\n    from google.colab import drive\nexcept ModuleNotFoundError:\n    drive = None",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pandas import DataFrame",
        "import __main__",
        "%pip install -r requirements.txt\n!pip install -e .",
    )
    assert found == []


def test_modules_the_notebook_provides_itself_are_first_party(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "", "notebooks/lib/features.py": ""})
    found = run(
        tmp_path,
        "%%writefile helpers.py\nimport numpy",
        "%%file -a trainer/__init__.py\n",
        "!wget -q https://example.invalid/raw/utils.py\n!curl -o plots.py https://example.invalid/p",
        "import helpers, trainer.model, utils, plots\nfrom trainer import task",
        "import os, sys\nsys.path.insert(0, os.path.join('lib'))\nimport features",
        "from urllib.request import urlretrieve\nurlretrieve('https://example.invalid/x/thinkplot.py')",
        "constants_file = 'taxi_constants.py'",
        "%%writefile {constants_file}\nLABEL = 'tips'",
        "import thinkplot, taxi_constants",
    )
    assert found == []
    found = run(
        tmp_path,
        "import os, sys\nlib_path = os.path.abspath('lib')\nsys.path.append(lib_path)",
        "import features",
    )
    assert found == []
    # protoc makes person_pb2.py of the person.proto a cell writes.
    proto = ("%%writefile person.proto\nsyntax = 'proto3';", "!protoc person.proto --python_out=.")
    assert run(tmp_path, *proto, "from person_pb2 import Person") == []
    # The same imports, with nothing that provides them.
    assert [d.symbol for d in run(tmp_path, "from person_pb2 import Person")] == [
        "person-pb2"
    ]  # as a distribution would be named
    found = run(tmp_path, "import helpers, trainer.model, utils, plots, features")
    assert sorted(d.symbol for d in found) == ["features", "helpers", "plots", "trainer", "utils"]


def test_modules_moved_into_place_or_beside_a_new_working_directory(tmp_path: Path) -> None:
    make_project(
        tmp_path, {"requirements.txt": "", "notebook_format/formats.py": "", "tools/cli.py": ""}
    )
    found = run(
        tmp_path,
        "!git clone https://example.invalid/org/course\n!mv course/going_modular .",
        "from going_modular import engine",
        "import os\nos.chdir(os.path.join('..', 'notebook_format'))\nfrom formats import load_style",
        "%cd ../tools\nimport cli",
    )
    assert found == []


def test_old_and_hosted_runtimes_provide_their_own_modules(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": ""})
    found = run(
        tmp_path,
        "import cPickle, urllib2\nfrom StringIO import StringIO",
        "from google.colab import drive\nfrom kaggle_secrets import UserSecretsClient",
    )
    assert found == []


def test_a_distribution_is_reported_once_whatever_it_is_imported_as(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": ""})
    found = run(
        tmp_path, "import matplotlib.pyplot as plt\nfrom mpl_toolkits.mplot3d import Axes3D"
    )
    assert summary(found) == [("NBD402", "matplotlib")]
    found = run(
        tmp_path, "from mpl_toolkits.mplot3d import Axes3D\nimport matplotlib.pyplot as plt"
    )
    assert [d.message.split(" is ")[0] for d in found] == ["`mpl_toolkits` (matplotlib)"]


def test_the_fix_of_an_unknown_module_does_not_take_it_for_a_distribution(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "pandas==2.2.3\n"})
    (unknown,) = run(tmp_path, "import our_plotting_helpers_xyz")
    assert unknown.help == (
        "If it is a module of the project, list it in `known-first-party`; else declare it with "
        "an exact version in requirements.txt: `our-plotting-helpers-xyz==<version>`"
    )


def test_known_first_party_setting(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": ""})
    assert summary(run(tmp_path, "import teamlib")) == [("NBD402", "teamlib")]
    settings = Settings(root=str(tmp_path), known_first_party=["teamlib"])
    assert run(tmp_path, "import teamlib", settings=settings) == []


def test_pin_policy_declared(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "pandas>=2\n"})
    settings = Settings(root=str(tmp_path), pin_policy="declared")
    assert run(tmp_path, "import pandas", settings=settings) == []
    assert summary(run(tmp_path, "import pandas\nimport polars", settings=settings)) == [
        ("NBD402", "polars")
    ]


def test_settings_from_pyproject_reach_the_rules(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'x'\ndependencies = ['pandas>=2']\n"
            "[tool.nb-discipline]\npin-policy = 'declared'\ndependency-files = ['deps/lock.txt']\n",
            "deps/lock.txt": "numpy==2.0.0\n",
        },
    )
    settings = load_settings(None, start=str(tmp_path))
    # dependency-files replaces discovery: pyproject's pandas no longer counts.
    assert summary(run(tmp_path, "import numpy\nimport pandas", settings=settings)) == [
        ("NBD402", "pandas")
    ]


def test_a_lock_file_beside_a_loose_declaration_pins_it(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["numpy>=1"]\n',
            "uv.lock": '[[package]]\nname = "numpy"\nversion = "2.0.0"\n',
        },
    )
    assert run(tmp_path, "import numpy as np") == []


# --- NBD403 ---------------------------------------------------------------------------------


def test_unpinned_installs(tmp_path: Path) -> None:
    make_project(tmp_path, {})
    found = run(
        tmp_path,
        "%pip install -q pandas==2.2.3 seaborn 'numpy>=2'",
        "!pip install --upgrade pip\n!conda install -y -c conda-forge lightgbm=4.5.0 xgboost",
        "%%bash\nset -e\npip install polars\n",
    )
    assert [(d.cell, d.location.row, d.symbol) for d in found] == [
        (1, 1, "numpy"),
        (1, 1, "seaborn"),
        (2, 2, "xgboost"),
        (3, 3, "polars"),
    ]
    assert found[1].message == (
        "`pip install seaborn` pins no exact version: which version the cell gets depends on "
        "when it runs and on what is already installed"
    )
    assert found[2].help.startswith("Pin an exact version (`name=X.Y.Z`)")
    assert (found[0].location.column, found[0].end_location.column) == (1, 49)


def test_install_in_an_indented_block_and_assigned_shell(tmp_path: Path) -> None:
    make_project(tmp_path, {})
    found = run(
        tmp_path, "if IN_COLAB:\n    !pip install catboost\nout = !pip install umap-learn==0.5.6"
    )
    assert [(d.location.row, d.location.column, d.symbol) for d in found] == [(2, 5, "catboost")]


# --- NBD404 ---------------------------------------------------------------------------------


def test_a_broken_file_is_reported_once_and_the_rest_still_checks(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "pyproject.toml": "[project\nname = 'x'\n",
            "requirements.txt": "pandas==2.2.3\nseaborn>=0.13\n",
        },
    )
    found = run(tmp_path, "import os\nimport pandas as pd", "import seaborn as sns\nimport torch")
    assert summary(found) == [
        ("NBD404", "pyproject.toml"),
        ("NBD401", "seaborn"),
        ("NBD402", "torch"),
    ]
    assert found[0].message.startswith("Cannot read dependency file pyproject.toml: not valid TOML")
    assert (found[0].cell, found[0].location.row) == (1, 2)  # the first third-party import


def test_a_bad_line_of_a_requirements_file_is_said_as_such(tmp_path: Path) -> None:
    # As in GoogleCloudPlatform/training-data-analyst's pipeline containers.
    make_project(
        tmp_path, {"requirements.txt": 'Flask==1.1.1\npython_version > "3.0"\ngunicorn>=20\n'}
    )
    found = run(tmp_path, "import flask\nimport gunicorn")
    assert summary(found) == [("NBD404", "requirements.txt"), ("NBD401", "gunicorn")]
    assert found[0].message == (
        "Dependency file requirements.txt, line 2: bad requirement 'python_version > \"3.0\"': "
        "Expected semicolon (after name with no version specifier) or end"
    )
    assert found[0].help == (
        "Fix requirements.txt (pip refuses the whole file); its other lines are still checked"
    )


def test_an_environment_file_that_installs_the_project_itself_is_read(tmp_path: Path) -> None:
    # AllenDowney/ThinkStats2's environment.yml: pip installs the repository itself (`- .`).
    make_project(
        tmp_path,
        {
            "environment.yml": "name: ThinkStats2\n\ndependencies:\n  - python=3.7\n"
            "  - numpy\n  - pandas\n  - pip\n  - pip:\n    - .\n    - -e ./thinkstats\n",
            "thinkstats/setup.py": "from setuptools import setup\nsetup(name='thinkstats')\n",
        },
    )
    found = run(tmp_path, "import numpy as np\nimport pandas as pd\nimport scipy")
    assert summary(found) == [("NBD401", "numpy"), ("NBD401", "pandas"), ("NBD402", "scipy")]


def test_a_bad_pip_entry_of_an_environment_file_is_said_at_its_line(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "environment.yml": "dependencies:\n  - numpy=1.26.4\n  - pip:\n    - .\n    - torch=2.4\n"
        },
    )
    found = run(tmp_path, "import numpy")
    assert [d.message for d in found] == [
        "Dependency file environment.yml, line 5: bad requirement 'torch=2.4': "
        "`=` is not a version operator (`==` is)"
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_included_by_a_requirements_file_is_one_problem(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "-r other.txt\nnumpy==2.0.0\n"})
    os.mkfifo(tmp_path / "other.txt")  # opening it waits for a writer: before the fix, no end
    found = run(tmp_path, "import numpy")
    assert [d.message for d in found] == [
        "Cannot read dependency file other.txt: a named pipe (FIFO), not a regular file"
    ]


def test_a_conda_style_pin_in_a_requirements_file_is_said_as_pip_says_it(tmp_path: Path) -> None:
    # ethen8181/machine-learning's requirements.txt, line 33.
    make_project(tmp_path, {"requirements.txt": "numpy==1.23.2\npytorch_lightning=2.1.0\n"})
    found = run(tmp_path, "import numpy")
    assert [d.message for d in found] == [
        "Dependency file requirements.txt, line 2: bad requirement 'pytorch_lightning=2.1.0': "
        "`=` is not a version operator (`==` is)"
    ]


def test_a_missing_configured_file_is_a_problem(tmp_path: Path) -> None:
    make_project(tmp_path, {})
    settings = Settings(root=str(tmp_path), dependency_files=["requirements/prod.txt"])
    found = run(tmp_path, "import pandas", settings=settings)
    assert [d.message for d in found] == [
        "`pandas` is imported but declared in no dependency file (read: requirements/prod.txt)",
        "Cannot read dependency file requirements/prod.txt: file not found",
    ]


def test_no_problem_reported_without_a_third_party_import(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "pandas=>2\n"})
    assert run(tmp_path, "import os") == []


def test_many_notebooks_of_one_project_parse_the_files_once(tmp_path: Path, monkeypatch) -> None:
    from nb_discipline import cache
    from nb_discipline.analysis import dependency_files

    make_project(
        tmp_path,
        {
            "requirements.txt": "pandas==2.2.3\n-r requirements-ml.txt\n",
            "requirements-ml.txt": "scikit-learn==1.5.2\n",
            "pyproject.toml": '[project]\nname = "x"\ndependencies = ["numpy==2.0.0"]\n',
        },
    )
    parsed: list[str] = []
    real_parse = dependency_files._parse

    def counting_parse(path, content, including):
        parsed.append(os.path.basename(path))
        return real_parse(path, content, including)

    monkeypatch.setattr(dependency_files, "_parse", counting_parse)
    monkeypatch.setattr(cache, "_in_memory", {})
    assert run(tmp_path, "import pandas, numpy, sklearn", where="nb/0.ipynb") == []
    first = sorted(parsed)
    assert set(first) == {"pyproject.toml", "requirements-ml.txt", "requirements.txt"}
    for index in range(1, 20):
        found = run(tmp_path, "import pandas, numpy, sklearn", where=f"nb/{index}.ipynb")
        assert found == []
    assert sorted(parsed) == first


def test_a_packages_ranges_are_not_unpinned_imports(tmp_path: Path) -> None:
    # tensorflow/docs: setup.py packages the tools in tools/ (numpy in its 'vis' extra); the
    # tutorials under site/ import much it does not declare.
    make_project(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\n"
            "setup(name='tensorflow-docs', package_dir={'': 'tools'},\n"
            "      install_requires=['pyyaml'], extras_require={'vis': ['numpy']})\n",
        },
    )
    found = run(tmp_path, "import numpy as np\nimport pandas as pd", where="site/en/nb.ipynb")
    assert summary(found) == [("NBD402", "pandas")]
    assert found[0].message == (
        "`pandas` is imported but declared in no dependency file (read: setup.py)"
    )
    # Its advice is an environment file, not the library's metadata.
    assert found[0].help.endswith("in requirements.txt: `pandas==<version>`")


def test_an_environment_files_range_is_unpinned_whatever_a_package_says(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "requirements.txt": "numpy>=1\n",
            "code/setup.py": "from setuptools import setup\nsetup(install_requires=['numpy'])\n",
        },
    )
    found = run(tmp_path, "import numpy as np", where="code/nb.ipynb")
    assert [d.message for d in found] == [
        "`numpy` comes from numpy, which requirements.txt declares without an exact version"
    ]


def test_nothing_is_undeclared_when_a_setup_py_list_cannot_be_read(tmp_path: Path) -> None:
    # CamDavidsonPilon/lifelines: install_requires is read from reqs/base-requirements.txt.
    make_project(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\n"
            "with open('reqs/base-requirements.txt') as f:\n"
            "    REQUIREMENTS = f.read().splitlines()\n"
            "setup(name='lifelines', install_requires=REQUIREMENTS)\n",
            "reqs/base-requirements.txt": "numpy>=1.14.0\npandas>=2.1\n",
        },
    )
    assert run(tmp_path, "import numpy, pandas\nimport lifelines") == []


def test_a_conda_environment_file_of_any_name_is_read(tmp_path: Path) -> None:
    # aloctavodia/BAP: bap.yml at the root (`conda env create -f bap.yml`) declares arviz.
    make_project(
        tmp_path,
        {
            "bap.yml": "name: bap\ndependencies:\n  - numpy\n  - pip:\n    - arviz==0.3.1\n",
            "docs/_config.yml": "title: BAP\n",
            "k8s.yaml": "apiVersion: v1\ndependencies:\n  - name: x\n",
        },
    )
    found = run(tmp_path, "import numpy as np\nimport arviz as az\nimport pandas")
    assert [d.message for d in found] == [
        "`numpy` comes from numpy, which bap.yml declares without an exact version",
        "`pandas` is imported but declared in no dependency file (read: bap.yml)",
    ]


def test_a_conda_file_named_after_another_notebook_is_that_notebooks(tmp_path: Path) -> None:
    # Azure/MachineLearningNotebooks: configuration.yml is configuration.ipynb's environment.
    make_project(tmp_path, {"configuration.yml": "dependencies:\n- pip:\n  - pandas\n"})
    (tmp_path / "configuration.ipynb").write_text("{}", encoding="utf-8")
    assert summary(run(tmp_path, "import pandas", where="configuration.ipynb")) == [
        ("NBD401", "pandas")
    ]
    found = run(tmp_path, "import pandas", where="tutorials/train.ipynb")
    assert [d.message for d in found] == [
        "`pandas` is imported but declared in no dependency file "
        "(read: none found from the notebook up to the project root)"
    ]


def test_requirement_files_a_setup_py_reads_are_its_metadata(tmp_path: Path) -> None:
    # NVIDIA/NeMo: setup.py reads requirements/requirements_asr.txt into its 'asr' extra.
    make_project(
        tmp_path,
        {
            "setup.py": "from setuptools import setup\n"
            "def req_file(name, folder='requirements'):\n"
            "    return open(folder + '/' + name).read().splitlines()\n"
            "setup(name='nemo', extras_require={'asr': req_file('requirements_asr.txt')})\n",
            "requirements/requirements_asr.txt": "librosa>=0.10\n",
            # not named by setup.py, but beside its files: the vLLM container's
            "requirements/requirements_vllm.txt": "omegaconf\n",
            "tutorials/requirements.txt": "pandas>=2\n",
        },
    )
    found = run(tmp_path, "import librosa, omegaconf, pandas", where="tutorials/asr.ipynb")
    assert [d.message for d in found] == [
        "`pandas` comes from pandas, which tutorials/requirements.txt declares without an "
        "exact version"
    ]


def test_a_distribution_the_notebook_installs_itself_is_not_undeclared(tmp_path: Path) -> None:
    # huggingface/notebooks' course: `!pip install datasets evaluate` in the first cell.
    make_project(tmp_path, {"requirements.txt": "numpy==2.1.0\n"})
    found = run(
        tmp_path,
        "!pip install -q datasets scikit-learn==1.5.2",
        "import datasets, sklearn, evaluate",
    )
    assert summary(found) == [("NBD403", "datasets"), ("NBD402", "evaluate")]


def test_the_advice_of_a_package_without_an_environment_file(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "pyproject.toml": "[build-system]\nrequires = ['hatchling']\n"
            "[project]\nname = 'x'\ndependencies = ['numpy>=1']\n",
            "lib/setup.py": "from setuptools import setup\nsetup(install_requires=['numpy'])\n",
        },
    )
    [found] = run(tmp_path, "import numpy, pandas", where="lib/nb.ipynb")
    assert found.message.endswith("(read: lib/setup.py, pyproject.toml)")
    assert found.help.endswith("in pyproject.toml: `pandas==<version>`")


def test_nothing_is_unpinned_when_a_remote_include_may_pin_it(tmp_path: Path) -> None:
    # Azure's automl_env_linux.yml: numpy as a range, and pip's validated requirements fetched.
    make_project(
        tmp_path,
        {
            "automl_env.yml": "dependencies:\n- numpy>=1.21.6,<=1.23.5\n- pip:\n"
            "  - -r https://example.invalid/validated_linux_requirements.txt [--no-deps]\n"
        },
    )
    assert run(tmp_path, "import numpy, pandas") == []


def test_azureml_sdk_provides_the_modules_it_installs(tmp_path: Path) -> None:
    # Azure/MachineLearningNotebooks: azureml-sdk installs azureml-core, azureml-train-core and
    # azureml-pipeline, not azureml-widgets (an extra).
    make_project(tmp_path, {"requirements.txt": "azureml-sdk==1.59.0\n"})
    found = run(
        tmp_path,
        "import azureml.core\nfrom azureml.train import estimator\n"
        "from azureml.pipeline.core import Pipeline\nfrom azureml.widgets import RunDetails",
    )
    assert summary(found) == [("NBD402", "azureml-widgets")]


@pytest.mark.parametrize("folder", ["binder", ".binder", "environments", "envs"])
def test_the_roots_environment_folders_declare_for_every_notebook(
    tmp_path: Path, folder: str
) -> None:
    # udacity/deep-learning keeps its conda environments in environments/dl_env_*.yml.
    make_project(
        tmp_path,
        {f"{folder}/dl_env_linux.yml": "name: dl\ndependencies:\n  - matplotlib=2.0.0\n"},
    )
    found = run(tmp_path, "import matplotlib, seaborn", where="autoencoder/deep/nb.ipynb")
    assert summary(found) == [("NBD402", "seaborn")]
    assert found[0].message.endswith(f"(read: {folder}/dl_env_linux.yml)")


def test_an_environment_folder_below_the_root_is_not_read(tmp_path: Path) -> None:
    make_project(tmp_path, {"lesson/envs/environment.yml": "dependencies:\n  - matplotlib\n"})
    found = run(tmp_path, "import matplotlib", where="other/nb.ipynb")
    assert summary(found) == [("NBD402", "matplotlib")]


def test_a_git_submodule_named_after_the_module_provides_it(tmp_path: Path) -> None:
    # udacity/deep-learning: reinforcement/gym is a submodule of openai/gym, empty until
    # `git submodule update`.
    make_project(
        tmp_path,
        {".gitmodules": '[submodule "gym"]\n\tpath = reinforcement/gym\n\turl = https://x/gym\n'},
    )
    (tmp_path / "reinforcement" / "gym").mkdir(parents=True)
    assert run(tmp_path, "import gym", where="reinforcement/nb.ipynb") == []
    assert summary(run(tmp_path, "import gym", where="other/nb.ipynb")) == [("NBD402", "gym")]
