"""Reading a file: all of it in one piece of the size its status gives, and never more than the
limit, even when it holds more than its status said (it grew while being read)."""

from __future__ import annotations

import errno
import io

import pytest

from nb_discipline.loader import read_file, read_limited


@pytest.mark.parametrize("size", [None, 0, 5, 10, 11, 1000])
def test_all_of_it_whatever_size_it_was_said_to_have(size) -> None:
    assert read_limited(io.BytesIO(b"0123456789"), 10, "f", size) == b"0123456789"


@pytest.mark.parametrize("size", [None, 0, 5, 11, 1000])
def test_never_more_than_the_limit(size) -> None:
    with pytest.raises(OSError) as raised:
        read_limited(io.BytesIO(b"0123456789"), 9, "f", size)
    assert raised.value.errno == errno.EFBIG


def test_a_file_read_is_its_bytes_and_its_status(tmp_path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b"x" * 70_000)
    data, status = read_file(str(path))
    assert data == b"x" * 70_000 and status.st_size == 70_000
    with pytest.raises(OSError, match="larger than 0 MiB"):
        read_file(str(path), 69_999)
