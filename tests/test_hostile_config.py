"""Hostile and broken configuration: one line naming the file and what is wrong, exit 2; never a
traceback, never a setting silently dropped. And what git accepts in a .gitignore, nbcheck does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import code, write_notebook

UNSEEDED = "import random\nx = random.random()\n"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    write_notebook(tmp_path / "nb.ipynb", code(UNSEEDED, 1))
    return tmp_path


def deep_array(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"tool = 5\n", "`tool` must be a table, not 5"),
        (b"[tool]\nnb-discipline = 5\n", "[tool.nb-discipline] must be a table"),
        (b"\x7fELF\x02\x01\x01\x00\xd0\xff", "not valid TOML: the file is not UTF-8 text"),
        (
            f"[tool.nb-discipline]\nx = {deep_array(3000)}\n".encode(),
            "arrays or tables nested deeper than nbcheck reads",
        ),
        (
            ("[tool.nb-discipline]\nx" + ".a" * 3000 + " = 1\n").encode(),
            "[tool.nb-discipline] has tables nested deeper than nbcheck reads",
        ),
        (
            b'[tool.nb-discipline.per-file-ignores]\n"*.ipynb" = ["NBD3", "NBD999"]\n',
            "unknown rule selector `NBD999` in `per-file-ignores` key '*.ipynb' in "
            "[tool.nb-discipline]",
        ),
        (
            b'[tool.nb-discipline.per-file-ignores]\n"*.ipynb" = ["unseeded-global-rgn"]\n',
            "unknown rule selector `unseeded-global-rgn`",
        ),
        (
            b'[tool.nb-discipline.per-file-ignores]\n"!" = ["NBD3"]\n',
            "bad pattern, `per-file-ignores` key '!' in [tool.nb-discipline]",
        ),
        (
            b'[tool.nb-discipline]\nunfixable = ["NBD3", "NBD399"]\n',
            "unknown rule selector `NBD399` in `unfixable` in [tool.nb-discipline]",
        ),
        (
            b'[tool.nb-discipline]\nextend-unsafe-fixes = "NBD3"\n',
            "bad value for `extend-unsafe-fixes` in [tool.nb-discipline]: Input should be an array",
        ),
        (
            b'[tool.nb-discipline]\nunsafe-fixes = "yes please"\n',
            "bad value for `unsafe-fixes` in [tool.nb-discipline]: Input should be a valid boolean",
        ),
        (
            b"[tool.nb-discipline]\nfix-only = true\n",
            "unknown key `fix-only` in [tool.nb-discipline]",
        ),
    ],
)
def test_a_broken_configuration_is_one_line_naming_the_file(
    project, nbcheck, content, message
) -> None:
    (project / "pyproject.toml").write_bytes(content)
    result = nbcheck("--no-cache", "nb.ipynb")
    assert result.exit_code == 2
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"nbcheck: error: {project / 'pyproject.toml'}: ")
    assert message in lines[0]


def test_known_per_file_ignores_still_apply(project, nbcheck) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.nb-discipline.per-file-ignores]\n"nb.ipynb" = ["unseeded-global-rng", "NBD1"]\n'
    )
    assert nbcheck("--no-cache", "nb.ipynb").exit_code == 0


def test_a_bad_exclude_pattern_is_a_usage_error(project, nbcheck) -> None:
    result = nbcheck("--no-cache", "--extend-exclude", "!", ".")
    assert result.exit_code == 2
    assert result.err == (
        "nbcheck: error: bad pattern in exclude or extend-exclude: Invalid git pattern: '!'\n"
    )


@pytest.mark.parametrize("line", ["!", "\\", "notebooks\\"])
def test_gitignore_lines_git_accepts_and_matches_nothing_with(project, nbcheck, line) -> None:
    (project / ".gitignore").write_text(f"{line}\nignored.ipynb\n")
    write_notebook(project / "ignored.ipynb", code(UNSEEDED, 1))
    result = nbcheck("--no-cache", ".")
    assert result.exit_code == 1, result.err
    assert "Traceback" not in result.err
    assert "nb.ipynb" in result.out
    assert "ignored.ipynb" not in result.out


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_a_seed_no_rng_takes_is_refused_in_the_configuration(project, nbcheck, seed) -> None:
    (project / "pyproject.toml").write_text(f"[tool.nb-discipline]\nseed = {seed}\n")
    result = nbcheck("--no-cache", "nb.ipynb")
    assert result.exit_code == 2
    assert "bad value for `seed` in [tool.nb-discipline]" in result.err
