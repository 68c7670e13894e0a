"""The data family: NBD501 absolute-path, NBD502 unpinned-remote-data, NBD503 untracked-data-file."""

from __future__ import annotations

import pytest

from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.loader import load
from nb_discipline.rules import lookup
from nb_discipline.rules.data import url_pin
from nb_discipline.rules.paths import absolute_path_text
from tests.builders import code, git, notebook, write_notebook


def found(source: str, settings: Settings | None = None):
    return check(notebook(code(source, 1)), settings or Settings(), rules=[lookup("NBD501")])


def paths(source: str, settings: Settings | None = None) -> list[str | None]:
    return [diagnostic.symbol for diagnostic in found(source, settings)]


@pytest.mark.parametrize(
    "text",
    [
        "/home/ana/data/train.csv",
        "/Users/ana/Desktop/sales.xlsx",
        "/mnt/shared/features",
        "/content/drive/MyDrive/data.csv",
        "/kaggle/input/titanic/train.csv",
        "/data.csv",
        "/data/raw/*.parquet",
        "/home/ana/My Drive/x.csv",
        "C:\\Users\\ana\\data.csv",
        "D:/datasets/images",
        "file:///home/ana/mlruns",
        "\\\\fileserver\\share\\data.csv",
    ],
)
def test_absolute_local_paths(text: str) -> None:
    assert absolute_path_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "data/train.csv",
        "./data",
        "~/data.csv",
        "/",
        "/predict",
        "//cdn.example.invalid/x.js",
        "https://example.invalid/data/train.csv",
        "s3://bucket/key/data.csv",
        "file://server/share",
        "/tmp/scratch.csv",
        "/dev/null",
        "/usr/share/fonts/x.ttf",
        "/etc/hosts",
        "/^\\d+$/",
        "/(foo|bar)/",
        "1/2/2020",
        "a / b",
        "/var/tmp",
        "/bin:/usr/bin",
        "\\\\?\\UNC\\",
        "/job:worker/task:1",  # TensorFlow device names
        "/job:localhost/replica:0/task:0/device:GPU:0",
        "/path/to/dataset/",  # placeholders the reader fills in
        "C:\\path\\to\\data.csv",
        r"\\([\\\$\"\'`])",
    ],
)
def test_not_absolute_local_paths(text: str) -> None:
    assert not absolute_path_text(text)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("df = pd.read_csv('/home/ana/data/train.csv')", ["/home/ana/data/train.csv"]),
        ("DATA_DIR = '/mnt/data/churn'", ["/mnt/data/churn"]),
        ("DATA_DIR: str = '/mnt/data/churn'", ["/mnt/data/churn"]),
        ("files = ['/data/a.csv', 'data/b.csv']", ["/data/a.csv"]),
        ("config = {'train': '/data/train.csv'}", ["/data/train.csv"]),
        ("df.to_parquet(path='/data/out/part.parquet')", ["/data/out/part.parquet"]),
        ("p = Path('/srv/models') / 'model.pkl'", ["/srv/models"]),
        ("p = '/srv/models' + '/model.pkl'", ["/srv/models"]),
        ("def load(path='/home/ana/x.csv'):\n    return path", ["/home/ana/x.csv"]),
        ("df = pd.read_csv(f'/home/ana/{name}.csv')", ["/home/ana/"]),
        ("open(r'C:\\data\\x.csv')", ["C:\\data\\x.csv"]),
        ("mlflow.set_tracking_uri('file:///home/ana/mlruns')", ["file:///home/ana/mlruns"]),
    ],
)
def test_paths_used_as_data(source: str, expected: list[str]) -> None:
    assert paths(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        '"""Data lives in /home/ana/data on the lab machine."""',  # a docstring
        "# df = pd.read_csv('/home/ana/data.csv')",
        "if path.startswith('/home/ana/'):\n    pass",
        "name = path.replace('/home/ana/', '')",
        "print('/home/ana/data/train.csv')",
        "@app.route('/api/v1/predict')\ndef predict():\n    pass",
        "response = client.post('/api/v1/predict', json=payload)",
        "plt.savefig('/tmp/figure.png')",
        "df = pd.read_csv('data/train.csv')",
        "url = 'https://example.invalid/data/train.csv'",
        "!ls /home/ana/data",
        "df = pd.read_csv(f'{ROOT}/data/train.csv')",
        "x = a / b",
        "url += '/status/deactivated'",
        "name = df[col].replace('/home/ana/', '')",
        "check = path == '/home/ana/data'",
        "drive.mount('/content/gdrive/', force_remount=True)",  # Colab's mount point
        "lines = sc.textFile('/sampledata/poem.txt')",  # Spark: the cluster's file system
        "df = spark.read.format('csv').load('/data/raw/sales')",
        "df.write.mode('overwrite').parquet('/warehouse/sales')",
        "ON_VERTEX = os.path.exists('/opt/deeplearning/metadata/env_version')",
        "if Path('/home/ana/cache.pkl').is_file():\n    model = load('/home/ana/cache.pkl')",
        # a path tested before use, with a fallback: the notebook runs anywhere
        "floyd = '/cifar/cifar-10-python.tar.gz'\nif isfile(floyd):\n    path = floyd\n"
        "else:\n    path = 'cifar-10-python.tar.gz'",
    ],
)
def test_not_data_paths(source: str) -> None:
    assert paths(source) == []


def test_message_location_and_fix() -> None:
    (diagnostic,) = found("import pandas as pd\ndf = pd.read_csv('/home/ana/data/train.csv')")
    assert diagnostic.message == (
        "Absolute path `/home/ana/data/train.csv`: the notebook depends on a file system where this path exists"
    )
    assert (diagnostic.location.row, diagnostic.location.column) == (2, 18)
    assert diagnostic.end_location.column == 44
    assert diagnostic.help.startswith("Use a path relative to the project")


def test_allowed_absolute_paths_prefixes_and_globs() -> None:
    source = (
        "a = '/dbfs/mnt/raw/x.csv'\nb = '/dbfsx/y.csv'\nc = '/kaggle/input/titanic/train.csv'\n"
        "d = '/home/ana/x.csv'"
    )
    settings = Settings(allowed_absolute_paths=["/dbfs/", "/kaggle/*"])
    assert paths(source, settings) == ["/dbfsx/y.csv", "/home/ana/x.csv"]


def test_a_test_for_another_path_excuses_nothing() -> None:
    source = (
        "if os.path.exists('/home/ana/cache'):\n    pass\n"
        "df = pd.read_csv('/home/ana/data.csv')\n"
        "spark_rows = pd.read_csv('/data/read/x.csv')"
    )
    assert paths(source) == ["/home/ana/data.csv", "/data/read/x.csv"]


# --- NBD502 unpinned-remote-data -------------------------------------------------------------


def remote(source: str) -> list[str | None]:
    found = check(notebook(code(source, 1)), Settings(), rules=[lookup("NBD502")])
    return [diagnostic.symbol for diagnostic in found]


@pytest.mark.parametrize(
    ("url", "pin"),
    [
        (
            "https://raw.githubusercontent.com/o/r/71e2436a092d714350de0fc409ca8a8714e7e78f/x.csv",
            "commit 71e2436a092d714350de0fc409ca8a8714e7e78f",
        ),
        ("https://github.com/o/r/raw/v1.2.0/data/x.csv", "ref v1.2.0"),
        ("https://github.com/o/r/blob/5d0f3f1/x.csv?raw=true", "commit 5d0f3f1"),
        (
            "https://huggingface.co/datasets/o/d/resolve/" + "a" * 40 + "/x.parquet",
            f"commit {'a' * 40}",
        ),
        (
            "https://huggingface.co/bert-base-uncased/resolve/" + "b" * 40 + "/config.json",
            f"commit {'b' * 40}",
        ),
        ("https://doi.org/10.5281/zenodo.1234", "a versioned host"),
        ("https://zenodo.org/records/1234/files/x.csv", "a versioned host"),
        ("https://github.com/o/r/releases/download/v1/x.zip", "a versioned host"),
        (
            "https://web.archive.org/web/20200101000000/https://example.org/x.csv",
            "a versioned host",
        ),
        ("https://bucket.s3.amazonaws.com/x.csv?versionId=3HL4kqtJ", "a version in the query"),
        ("https://example.org/x.csv#sha256=" + "c" * 64, "a checksum"),
        ("https://example.org/datasets/2.1.0/x.csv", "a version in the path"),
        ("https://example.org/v2/x.csv", "a version in the path"),
        ("https://example.org/2024-01-31/x.csv", "a version in the path"),
        (
            "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
            "a version in the file name",
        ),
        ("https://example.org/data-2.1.0.csv", "a version in the file name"),
        (
            "https://gist.github.com/u/0123abcd/raw/ad1709938834d7bc88b62ff0763733502eb6a329/x.csv",
            "commit ad1709938834d7bc88b62ff0763733502eb6a329",
        ),
    ],
)
def test_pinned_urls(url: str, pin: str) -> None:
    assert url_pin(url) == pin


@pytest.mark.parametrize(
    "url",
    [
        "https://raw.githubusercontent.com/o/r/master/x.csv",
        "https://raw.githubusercontent.com/o/r/main/data/x.csv",
        "https://github.com/o/r/blob/master/x.csv?raw=true",
        "https://huggingface.co/datasets/o/d/resolve/main/x.parquet",
        "https://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data",
        "http://bit.ly/kaggletrain",
        "https://example.org/data/train.csv",
        "https://example.org/train_2019.csv",
        "https://example.org/gov_v.csv",
        "s3://bucket/train.csv",
    ],
)
def test_unpinned_urls(url: str) -> None:
    assert url_pin(url) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import pandas as pd\ndf = pd.read_csv('https://example.org/x.csv')",
            ["https://example.org/x.csv"],
        ),
        (
            "import pandas as pd\nURL = 'https://example.org/x.csv'\ndf = pd.read_csv(URL)",
            ["https://example.org/x.csv"],
        ),
        (
            "import pandas as pd\nBASE = 'https://example.org/'\ndf = pd.read_csv(BASE + 'x.csv')",
            ["https://example.org/x.csv"],
        ),
        (
            "from urllib.request import urlretrieve\nurlretrieve('https://example.org/x.zip', 'x.zip')",
            ["https://example.org/x.zip"],
        ),
        (
            "import requests\nr = requests.get(url='https://example.org/x.json')",
            ["https://example.org/x.json"],
        ),
        (
            "import tensorflow as tf\ntf.keras.utils.get_file('x.zip', 'https://example.org/x.zip')",
            ["https://example.org/x.zip"],
        ),
        ("!wget -q https://example.org/x.zip && unzip x.zip", ["https://example.org/x.zip"]),
        (
            "!mkdir -p data && curl -L -o data/x.csv https://example.org/x.csv",
            ["https://example.org/x.csv"],
        ),
        # a file under a moving branch, whatever the rest of the path
        (
            "import pandas as pd\ndf = pd.read_csv(f'https://raw.githubusercontent.com/o/r/master/{n}.csv')",
            ["https://raw.githubusercontent.com/o/r/master/….csv"],
        ),
    ],
)
def test_unpinned_remote_reads(source: str, expected: list[str]) -> None:
    assert remote(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "import pandas as pd\ndf = pd.read_csv('data/train.csv')",
        "import pooch\npooch.retrieve('https://example.org/x.csv', known_hash='sha256:"
        + "d" * 64
        + "')",
        "import tensorflow as tf\ntf.keras.utils.get_file('x', 'https://example.org/x', file_hash='ab')",
        "import requests\nrequests.get('http://localhost:8080/predict')",
        "import pandas as pd\nurl = 'https://example.org/a.csv'\nurl = 'https://example.org/b.csv'\n"
        "df = pd.read_csv(url)",  # bound twice: which one is read is not known
        "import pandas as pd\ndef load(url):\n    return pd.read_csv(url)",
        "import pandas as pd\ndf = pd.read_csv(f'https://example.org/{name}.csv')",  # host's path unknown
        "!curl https://{API_ENDPOINT}/v1/projects",  # IPython expands it: not known
        "import requests\nrequests.post('https://example.org/api', json={})",
        "# df = pd.read_csv('https://example.org/x.csv')",
    ],
)
def test_not_unpinned_remote_reads(source: str) -> None:
    assert remote(source) == []


def test_remote_message() -> None:
    (diagnostic,) = check(
        notebook(code("import pandas as pd\ndf = pd.read_csv('https://example.org/x.csv')", 1)),
        Settings(),
        rules=[lookup("NBD502")],
    )
    assert diagnostic.message == (
        "`pd.read_csv` reads https://example.org/x.csv at run time, and nothing pins its version: "
        "what is at this URL can change between runs"
    )
    assert (diagnostic.location.row, diagnostic.location.column) == (2, 6)


# --- NBD503 untracked-data-file --------------------------------------------------------------


@pytest.fixture
def repository(tmp_path):
    (tmp_path / "data").mkdir()
    for name in ("tracked.csv", "untracked.csv", "versioned.csv"):
        (tmp_path / "data" / name).write_text("a\n1\n")
    (tmp_path / "data" / "versioned.csv.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 4\n  hash: md5\n"
        "  path: versioned.csv\n"
    )
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "data/tracked.csv", "data/versioned.csv.dvc")
    return tmp_path


def untracked(directory, source: str, *more: str) -> list[str | None]:
    path = write_notebook(directory / "nb.ipynb", code(source, 1), *(code(s, 2) for s in more))
    return [d.symbol for d in check(load(str(path)), Settings(), rules=[lookup("NBD503")])]


def test_a_file_neither_git_nor_dvc_tracks(repository) -> None:
    source = (
        "import pandas as pd\nimport numpy as np\n"
        "a = pd.read_csv('data/tracked.csv')\nb = pd.read_csv('data/untracked.csv')\n"
        "c = pd.read_csv('data/versioned.csv')\nd = np.load('data/missing.npy')\n"
        "with open('data/untracked.csv') as f:\n    f.read()"
    )
    assert untracked(repository, source) == [
        "data/untracked.csv",
        "data/missing.npy",
        "data/untracked.csv",
    ]


@pytest.mark.parametrize(
    ("source", "more"),
    [
        (
            "import pandas as pd\ndf = pd.read_csv('data/untracked.csv')",
            "df.to_csv('data/untracked.csv')",
        ),
        ("import numpy as np\nnp.save('data/arr', x)", "y = np.load('data/arr.npy')"),
        (
            "import os, pandas as pd\nos.makedirs('data', exist_ok=True)",
            "df = pd.read_csv('data/untracked.csv')",
        ),
        (
            "!wget https://example.org/x.zip && unzip x.zip",
            "import pandas as pd\ndf = pd.read_csv('x.csv')",
        ),
        (
            "import pandas as pd\n# df.to_csv('data/untracked.csv')",
            "df = pd.read_csv('data/untracked.csv')",
        ),
        ("%cd data", "import pandas as pd\ndf = pd.read_csv('untracked.csv')"),
        (
            "for i in range(3):\n    df.to_parquet('data/part' + str(i) + '_x.zip')",
            "import pandas as pd\ndf = pd.read_parquet('data/part2_x.zip')",
        ),
        (
            "for name in names:\n    df.to_csv(f'data/{name}-untracked.csv')",
            "import pandas as pd\ndf = pd.read_csv('data/a-untracked.csv')",
        ),
        ("import pandas as pd\ndf = pd.read_csv('../input/titanic/train.csv')", "x = 1"),
        ("with open('settings.json') as f:\n    settings = f.read()", "x = 1"),  # not data
        ("with open('api_key.txt') as f:\n    key = f.read()", "x = 1"),  # a credential
        ("with open('data/untracked.csv', 'w') as f:\n    f.write('a')", "x = 1"),
        ("import pandas as pd\ndf = pd.read_csv('tracked.csv')", "x = 1"),  # tracked in data/
    ],
)
def test_files_the_notebook_may_make_or_that_are_not_data(repository, source, more) -> None:
    assert untracked(repository, source, more) == []


def test_a_notebook_in_a_folder_reading_a_file_the_root_tracks(repository) -> None:
    (repository / "notebooks").mkdir()
    source = (
        "import pandas as pd\na = pd.read_csv('data/tracked.csv')\nb = pd.read_csv('data/x.csv')"
    )
    assert untracked(repository / "notebooks", source) == ["data/x.csv"]


def test_no_finding_outside_a_git_repository(tmp_path) -> None:
    assert untracked(tmp_path, "import pandas as pd\ndf = pd.read_csv('data.csv')") == []


def test_an_empty_git_folder_is_no_repository(tmp_path) -> None:
    # A `.git` folder with no HEAD is not a repository to git (a marker some tools leave, or a
    # copy without its history): nothing says what a clone would hold.
    (tmp_path / ".git").mkdir()
    assert untracked(tmp_path, "import pandas as pd\ndf = pd.read_csv('data.csv')") == []
    (tmp_path / ".git").rmdir()
    git(tmp_path, "init", "-q")
    assert untracked(tmp_path, "import pandas as pd\ndf = pd.read_csv('data.csv')") == ["data.csv"]


def test_a_file_added_to_git_is_no_longer_flagged_by_the_next_run(
    repository, nbcheck, tmp_path_factory, monkeypatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    write_notebook(
        repository / "nb.ipynb",
        code("import pandas as pd\ndf = pd.read_csv('data/untracked.csv')", 1),
    )
    first = nbcheck(
        "--select", "NBD503", "--output-format", "concise", str(repository / "nb.ipynb")
    )
    assert "NBD503" in first.out
    git(repository, "add", "data/untracked.csv")
    second = nbcheck(
        "--select", "NBD503", "--output-format", "concise", str(repository / "nb.ipynb")
    )
    assert second.exit_code == 0, second.out


def test_a_name_made_in_the_code_excuses_only_what_it_can_make(repository) -> None:
    writes = "for name in names:\n    df.to_csv(f'{name}.csv')"  # any csv: too little to match
    read = "import pandas as pd\ndf = pd.read_csv('data/untracked.csv')"
    assert untracked(repository, writes, read) == ["data/untracked.csv"]


def test_a_file_another_notebook_of_the_folder_names_may_be_made_by_it(repository) -> None:
    read = "import pandas as pd\ndf = pd.read_pickle('data/untracked.csv')"
    assert untracked(repository, read) == ["data/untracked.csv"]
    write_notebook(repository / "1_prepare.ipynb", code("df.to_pickle('data/untracked.csv')", 1))
    assert untracked(repository, read) == []
    # A notebook in the folder above the file's (here the root), read from a notebook elsewhere.
    (repository / "other").mkdir()
    read_from_other = "import pandas as pd\ndf = pd.read_pickle('../data/untracked.csv')"
    assert untracked(repository / "other", read_from_other) == []


def test_a_branch_the_cells_own_constants_rule_out_reads_nothing() -> None:
    # GeostatsGuy's data selector: `data = 0` above an if/elif chain, one URL per branch.
    url = "https://raw.githubusercontent.com/o/r/master/{}.csv"
    source = (
        "import pandas as pd\ndata = 0\n"
        f"if data == 0:\n    df = pd.read_csv('{url.format('a')}')\n"
        f"elif data == 1:\n    df = pd.read_csv('{url.format('b')}')\n"
        f"else:\n    df = pd.read_csv('{url.format('c')}')\n"
        f"if not data and True:\n    extra = pd.read_csv('{url.format('d')}')\n"
    )
    assert remote(source) == [url.format("a"), url.format("d")]
    # A name bound again, or by a loop, is no constant: every branch may run.
    for rebinding in ("data = pick()\n", "for data in range(2):\n    pass\n"):
        found = remote(source.replace("data = 0\n", f"data = 0\n{rebinding}"))
        assert found == [url.format(x) for x in "abcd"]


def test_a_download_that_sets_the_machine_up_is_no_data() -> None:
    # handson-ml2 ch19: the TensorFlow Serving signing key, piped into apt-key.
    key = "https://storage.googleapis.com/tensorflow-serving-apt/tensorflow-serving.release.pub.gpg"
    assert remote(f"!curl {key} | apt-key add -") == []
    assert (
        remote("!wget https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh") == []
    )
    assert remote("!curl -sSL https://example.org/install | sudo bash") == []
    data = "https://example.org/latest/data.csv"
    assert remote(f"!curl -o data.csv {data}") == [data]
    assert remote(f"!curl {data} | head -5") == [data]
