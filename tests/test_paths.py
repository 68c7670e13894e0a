"""NBD501 absolute-path."""

from __future__ import annotations

import pytest

from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.rules import lookup
from nb_discipline.rules.paths import absolute_path_text
from tests.builders import code, notebook


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
