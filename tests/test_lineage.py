"""The data a recorded piece of code reads (nb_discipline.lineage), on real files, a real git
repository, DVC metadata in DVC's documented format, and a real HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import os
import sys
import threading
import urllib.request

import pytest

from nb_discipline.lineage import Reads, Recorder, changed_files
from tests.builders import git


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_bytes(b"a,b\n1,2\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def record(root, code) -> Reads:
    recorder = Recorder(str(root))
    with recorder.record():
        code()
    assert recorder.reads is not None
    return recorder.reads


def test_files_read_through_open_pandas_and_numpy(project) -> None:
    import numpy
    import pandas

    (project / "data" / "values.txt").write_bytes(b"1 2\n3 4\n")

    def cell():
        with open("data/train.csv") as handle:
            handle.read()
        pandas.read_csv("data/train.csv")
        numpy.loadtxt(project / "data" / "values.txt")

    reads = record(project, cell)
    assert [(f.path, f.size, f.sha256) for f in reads.files] == [
        ("data/train.csv", 8, sha256(b"a,b\n1,2\n")),
        ("data/values.txt", 8, sha256(b"1 2\n3 4\n")),
    ]
    assert reads.files[0].location == str(project / "data" / "train.csv")
    assert reads.files[0].git is None  # not in a git repository
    assert reads.urls == ()


def test_written_files_are_outputs_and_a_file_read_then_written_is_an_input(project) -> None:
    def cell():
        (project / "out.csv").write_text("written first")
        (project / "out.csv").read_text()
        before = (project / "data" / "train.csv").read_text()
        (project / "data" / "train.csv").write_text(before + "3,4\n")

    reads = record(project, cell)
    assert [(f.path, f.sha256) for f in reads.files] == [
        ("data/train.csv", sha256(b"a,b\n1,2\n"))  # what the cell read, not what it wrote
    ]


def test_code_and_the_interpreters_files_are_not_data(project) -> None:
    (project / "helpers_for_lineage.py").write_text("VALUE = 1\n")
    sys.path.insert(0, str(project))
    library = os.path.join(os.path.dirname(os.__file__), "this.py")

    def cell():
        import helpers_for_lineage  # noqa: F401

        with open(library, "rb") as handle:
            handle.read()
        with open(os.path.join(sys.prefix, "pyvenv.cfg"), "rb") as handle:
            handle.read()

    try:
        reads = record(project, cell)
    finally:
        sys.path.remove(str(project))
        sys.modules.pop("helpers_for_lineage", None)
    assert reads.files == ()


def test_outside_a_recording_nothing_is_recorded(project) -> None:
    first = record(project, lambda: (project / "data" / "train.csv").read_bytes())
    (project / "later.csv").write_text("x")
    (project / "later.csv").read_text()  # between recordings
    second = record(project, lambda: None)
    assert [f.path for f in first.files] == ["data/train.csv"]
    assert second.files == ()


def test_a_recording_inside_another_leaves_the_reads_to_the_outer_one(project) -> None:
    outer, inner = Recorder(str(project)), Recorder(str(project))
    with outer.record(), inner.record():
        (project / "data" / "train.csv").read_bytes()
    assert inner.reads is None
    assert [f.path for f in outer.reads.files] == ["data/train.csv"]


def test_a_changed_file_is_hashed_again(project) -> None:
    path = project / "data" / "train.csv"
    first = record(project, path.read_bytes)
    path.write_bytes(b"a,b\n9,9\n")  # same size
    os.utime(path, ns=(1, 1))
    second = record(project, path.read_bytes)
    assert first.files[0].sha256 == sha256(b"a,b\n1,2\n")
    assert second.files[0].sha256 == sha256(b"a,b\n9,9\n")


def test_files_outside_the_root_are_shown_absolute(project, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "shared.csv"
    elsewhere.write_text("x\n")
    reads = record(project, elsewhere.read_bytes)
    assert [f.path for f in reads.files] == [str(elsewhere)]


# --- git and DVC -----------------------------------------------------------------------------


def test_git_says_tracked_and_unchanged_modified_or_untracked(project) -> None:
    (project / "data" / "edited.csv").write_text("1\n")
    (project / "data" / "scratch.csv").write_text("2\n")
    git(project, "init", "-q")
    git(project, "add", "data/train.csv", "data/edited.csv")
    git(project, "commit", "-qm", "data")
    (project / "data" / "edited.csv").write_text("3\n")  # same size, other contents

    def cell():
        for name in ("train.csv", "edited.csv", "scratch.csv"):
            (project / "data" / name).read_bytes()

    reads = record(project, cell)
    assert [(f.path, f.git) for f in reads.files] == [
        ("data/train.csv", "unchanged"),
        ("data/edited.csv", "modified"),
        ("data/scratch.csv", "untracked"),
    ]


def test_a_file_touched_but_not_changed_is_unchanged(project) -> None:
    git(project, "init", "-q")
    git(project, "add", "data/train.csv")
    git(project, "commit", "-qm", "data")
    os.utime(project / "data" / "train.csv", ns=(10**18, 10**18))  # new times, same bytes
    reads = record(project, (project / "data" / "train.csv").read_bytes)
    assert reads.files[0].git == "unchanged"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_a_dvc_file_beside_the_data_names_its_version(project) -> None:
    # What `dvc add data/train.csv` writes (DVC 3: outs with md5, size, hash, path).
    (project / "data" / "train.csv.dvc").write_text(
        f"outs:\n- md5: {md5((project / 'data' / 'train.csv').read_bytes())}\n  size: 8\n"
        "  hash: md5\n  path: train.csv\n"
    )
    (project / "data" / "stale.csv").write_text("new\n")
    (project / "data" / "stale.csv.dvc").write_text(
        f"outs:\n- md5: {md5(b'old')}\n  size: 3\n  hash: md5\n  path: stale.csv\n"
    )

    def cell():
        (project / "data" / "train.csv").read_bytes()
        (project / "data" / "stale.csv").read_bytes()

    reads = record(project, cell)
    train, stale = reads.files
    assert reads.line() == (
        f"nb_discipline: read data/train.csv (8 B, sha256 {train.sha256[:8]}, dvc "
        f"train.csv.dvc), data/stale.csv (4 B, sha256 {stale.sha256[:8]}, dvc stale.csv.dvc "
        "modified)"
    )
    assert (train.dvc.metadata, train.dvc.md5, train.dvc.matches) == (
        "data/train.csv.dvc",
        md5(b"a,b\n1,2\n"),
        True,
    )
    assert (stale.dvc.metadata, stale.dvc.matches) == ("data/stale.csv.dvc", False)


def test_a_file_in_a_dvc_tracked_folder_and_a_dvc_lock_output(project) -> None:
    (project / "images").mkdir()
    (project / "images" / "cat.png").write_bytes(b"png")
    (project / "images.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  size: 3\n  nfiles: 1\n"
        "  hash: md5\n  path: images\n"
    )
    (project / "data" / "features.csv").write_text("f\n")
    features_md5 = md5((project / "data" / "features.csv").read_bytes())
    (project / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  featurize:\n    cmd: python featurize.py\n    outs:\n"
        f"    - path: data/features.csv\n      hash: md5\n      md5: {features_md5}\n"
        "      size: 2\n"
    )

    def cell():
        (project / "images" / "cat.png").read_bytes()
        (project / "data" / "features.csv").read_bytes()

    image, features = record(project, cell).files
    assert (image.dvc.metadata, image.dvc.md5, image.dvc.matches) == (
        "images.dvc",
        "0123456789abcdef0123456789abcdef.dir",
        None,
    )
    assert (features.dvc.metadata, features.dvc.matches) == ("dvc.lock", True)


# --- URLs ------------------------------------------------------------------------------------


class _Served(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a small CSV from memory (a file it opened would be a read of this
    process, hence of the recording)."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        body = b"a,b\n1,2\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Served)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_urls_fetched_by_urllib_requests_and_pandas(project, server) -> None:
    import pandas
    import requests

    def cell():
        urllib.request.urlopen(f"{server}/served.csv?from=urllib").read()
        requests.get(f"{server}/served.csv?from=requests", timeout=10)
        pandas.read_csv(f"{server}/served.csv?from=pandas")
        requests.post(f"{server}/served.csv?from=post", data=b"x", timeout=10)

    reads = record(project, cell)
    assert reads.urls == (
        f"{server}/served.csv?from=urllib",
        f"{server}/served.csv?from=requests",
        f"{server}/served.csv?from=pandas",
    )


def test_the_line_says_what_was_read(project, server) -> None:
    git(project, "init", "-q")

    def cell():
        (project / "data" / "train.csv").read_bytes()
        urllib.request.urlopen(f"{server}/served.csv").read()

    digest = sha256((project / "data" / "train.csv").read_bytes())
    assert record(project, cell).line() == (
        f"nb_discipline: read data/train.csv (8 B, sha256 {digest[:8]}, git untracked), "
        f"{server}/served.csv"
    )


def test_start_and_stop_record_across_calls_and_changes_are_named(project) -> None:
    path = project / "data" / "train.csv"
    recorder = Recorder(str(project))
    recorder.start()
    path.read_bytes()  # a notebook's cells, run one after the other
    (project / "other.csv").write_text("o\n")
    (project / "other.csv").read_text()  # written first: an output
    baseline = recorder.stop().to_json()
    assert recorder.stop() is recorder.reads  # stopping twice changes nothing
    path.write_bytes(b"a,b\n9,9\n")
    os.utime(path, ns=(1, 1))
    run = record(project, path.read_bytes).to_json()
    assert changed_files(baseline, run) == [
        ("data/train.csv", sha256(b"a,b\n1,2\n"), sha256(b"a,b\n9,9\n"))
    ]
    assert changed_files(run, {"files": []}) == [("data/train.csv", sha256(b"a,b\n9,9\n"), None)]
    assert changed_files(run, run) == []
