"""`nbcheck repro` on outputs, with real papermill runs: what differs must differ, what only
timing or the clock changed must reproduce, and a difference is named by its cell, its number or
table cell, and its likely cause.

The runs are shared: one module-scoped session runs every notebook (twice, or once when it fails)
and records baselines; later checks compare those same executions again under other options.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nb_discipline.repro import ReproOptions, run_repro
from nb_discipline.repro.baseline import read_baseline
from nb_discipline.repro.compare import CompareOptions, compare
from nb_discipline.repro.report import explanation, renderer
from nb_discipline.repro.results import DIFFERS, EXCEPTION, FAILED, REPRODUCED, UNVERIFIED
from tests.builders import code, markdown, write_notebook


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """Every notebook run twice with --update-baseline (failures once), under the test session's
    isolated cache and IPython directories, as tests/conftest.py sets them for each test."""
    base = tmp_path_factory.getbasetemp()
    project = tmp_path_factory.mktemp("outputs")
    write_notebook(
        project / "volatile.ipynb",
        code("import datetime, hashlib\nimport numpy as np\nrng = np.random.default_rng()"),
        markdown("A digest, a date and a duration, all drawn at random."),
        code("print(hashlib.md5(rng.bytes(16)).hexdigest())"),
        code(
            "day = datetime.date(1990, 1, 1) + datetime.timedelta(days=int(rng.integers(9000)))\n"
            "print(day, datetime.datetime.combine(day, datetime.time(12, 30)))"
        ),
        code('print(f"training took {int(rng.integers(1, 10**6))} s")'),
    )
    write_notebook(
        project / "timing.ipynb",
        code(
            "import datetime, sys, tempfile, time, uuid\nimport numpy as np\nfrom tqdm import tqdm"
        ),
        code("%timeit -n 20 -r 3 sum(range(1000))"),
        code("%%time\ntotal = sum(range(10**5))"),
        code(
            "print(datetime.datetime.now(), time.ctime())\n"
            "with tempfile.TemporaryDirectory() as directory:\n"
            "    print(object(), uuid.uuid4(), directory)\n"
            "datetime.datetime.now()"
        ),
        code("for _ in tqdm(range(3), file=sys.stdout):\n    time.sleep(0.01)"),
        code("print(0.963 + np.random.default_rng().normal() * 1e-12, np.random.rand())"),
    )
    write_notebook(
        project / "frame.ipynb",
        code(
            "import numpy as np\nimport pandas as pd\n"
            'df = pd.DataFrame({"a": [1.5, 2.25, 3.0], "b": ["x", "y", "z"], '
            '"c": [0.1, 0.2, 0.3]}, index=["r1", "r2", "r3"])\n'
            'df.loc["r2", "c"] = round(np.random.default_rng().uniform(0.5, 1), 4)\n'
            'print(f"loss {0.5 + np.random.default_rng().normal() * 1e-3:.6f}")'
        ),
        code("df"),
        code("print(df)"),
    )
    write_notebook(
        project / "clock_seed.ipynb",
        code("import time\nimport numpy as np\nnp.random.seed(int(time.time() * 1000) % 2**32)"),
        code("print(np.random.rand())"),
    )
    write_notebook(
        project / "hook_error.ipynb",
        code("import matplotlib.pyplot as plt"),
        code(
            "plt.plot([1, 2])\nplt.title(r'$\\frac{1}$')\nx = 1"
        ),  # fails when drawn, after the cell
        code("print(x)"),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(base / "cache"))
        patch.setenv("IPYTHONDIR", str(base / "ipython"))
        report = run_repro(
            [str(project)], ReproOptions(runs=2, jobs=2, timeout=300, update_baseline=True)
        )
    return project, report


def result(checked, name):
    _, report = checked
    [found] = [r for r in report.results if Path(r.path).name == name]
    return found


def test_random_digest_date_and_duration_differ(checked):
    volatile = result(checked, "volatile.ipynb")
    assert volatile.verdict == DIFFERS
    names = [difference.name for difference in volatile.differences]
    # the digest and the dates differ as words, the duration as a number
    assert names == ["cell 3 line 1", "cell 4 line 1", "cell 5 line 1, 1st number"]
    digest = volatile.differences[0]
    assert all(len(value) == 32 and value != digest.values[0] for value in digest.values[1:])


def test_the_first_differing_cell_and_its_likely_cause_are_named(checked):
    volatile = result(checked, "volatile.ipynb")
    assert (volatile.between_runs, volatile.first_differing_cell) == (True, 3)
    [cause] = volatile.likely_causes
    assert (cause.code, cause.cell) == ("NBD302", 1)
    assert explanation(volatile) == (
        f"cell 3 first differs between runs; likely cause: NBD302 in cell 1, {cause.message}"
    )
    assert "`np.random.default_rng` makes a random generator without a seed" in cause.message


def test_a_seed_that_is_not_a_seed_is_named_as_the_cause(checked):
    clock = result(checked, "clock_seed.ipynb")
    assert (clock.verdict, clock.first_differing_cell) == (DIFFERS, 2)
    # NBD304: the seed comes from the clock; NBD301: so nothing really seeds what cell 2 draws
    assert [(c.code, c.cell) for c in clock.likely_causes] == [("NBD304", 1), ("NBD301", 2)]
    assert explanation(clock).startswith(
        "cell 2 first differs between runs; likely causes: NBD304 in cell 1, the seed given to "
        "`np.random.seed` is made from `time.time()`"
    )


def test_a_refused_baseline_is_not_advised_again(checked):
    volatile = result(checked, "volatile.ipynb")
    assert "baseline not written: the runs do not agree" in volatile.notes
    assert not any("--update-baseline" in note for note in volatile.notes)
    text = renderer("text")(checked[1])
    assert "--update-baseline" not in text
    assert not Path(volatile.path).with_suffix(".repro.json").exists()


def test_timing_clock_addresses_and_progress_bars_reproduce(checked):
    timing = result(checked, "timing.ipynb")
    assert timing.verdict == REPRODUCED, timing.differences
    first, second = (execution.outputs for execution in timing.executions)
    timeit = first[0].text
    assert "per loop (mean ± std. dev. of 3 runs, 20 loops each)" in timeit
    assert first[1].text.startswith("CPU times: user ")  # %%time printed, and was sanitized
    assert first[2].text != second[2].text  # the clock, an address, a UUID, a temporary path
    assert first[4].text != second[4].text  # the same number drawn without a seed, to 1e-12


def test_a_baseline_written_from_two_runs_keeps_sanitized_outputs(checked):
    timing = result(checked, "timing.ipynb")
    baseline = Path(timing.path).with_suffix(".repro.json")
    assert f"baseline written to {baseline} from 2 runs that agree" in timing.notes
    document = json.loads(baseline.read_text())
    assert document["runs"] == 2
    assert document["outputs"]["2"].startswith("<timing> per loop (%timeit)")
    assert document["outputs"]["4"].startswith("<timestamp> <timestamp>\n<object object at 0x<")


def test_runs_that_agree_but_not_with_the_baseline_are_a_change(checked):
    timing = result(checked, "timing.ipynb")
    path = Path(timing.path).with_suffix(".repro.json")
    document = json.loads(path.read_text())
    seeded = document["outputs"]["6"].split()[1]
    document["outputs"]["6"] = document["outputs"]["6"].replace(seeded, "0.25")
    document["seed"] = 7
    path.write_text(json.dumps(document))
    again = compare(timing.path, timing.executions, CompareOptions(), read_baseline(path), seed=42)
    assert again.verdict == DIFFERS
    [difference] = again.differences
    assert (difference.name, difference.baseline) == ("cell 6 line 1, 2nd number", "0.25")
    assert difference.values == (seeded, seeded)
    assert again.between_runs is False
    assert explanation(again) == "cell 6 first differs from the baseline"
    assert again.notes[-2:] == (
        "the 2 runs agree with each other but not with the baseline: "
        "a change since the baseline, not flakiness",
        "changed since the baseline: the seed, 7 -> 42",
    )


def test_a_dataframe_whose_one_cell_changes_names_it_in_html_and_text(checked):
    frame = result(checked, "frame.ipynb")
    assert frame.verdict == DIFFERS
    rows = {d.name: d for d in frame.differences}
    assert set(rows) == {
        "cell 1 line 1, 1st number",
        "cell 2 row 'r2', column 'c'",
        "cell 3 row 'r2', column 'c'",
    }
    html = rows["cell 2 row 'r2', column 'c'"]
    assert html.values[0] != html.values[1]
    assert html.difference == pytest.approx(abs(float(html.values[0]) - float(html.values[1])))
    assert frame.first_differing_cell == 1
    assert [(c.code, c.cell) for c in frame.likely_causes] == [("NBD302", 1)]  # 2 calls, 1 cause


def test_numeric_drift_under_and_over_tolerance(checked):
    frame = result(checked, "frame.ipynb")
    drift = next(d for d in frame.differences if d.name == "cell 1 line 1, 1st number")
    assert drift.tolerance == "rtol=1e-06, atol=0"
    assert 0 < drift.difference < 0.02  # the loss moved by about 1e-3: printed, and by how much
    loose = CompareOptions(
        output_tolerances={r"loss \S+": (None, 0.02, False), "cell 2": (None, None, True)}
    )
    names = [d.name for d in compare(frame.path, frame.executions, loose).differences]
    assert names == ["cell 3 row 'r2', column 'c'"]


def test_an_error_from_a_post_execute_hook_is_blamed_on_its_cell(checked):
    failed = result(checked, "hook_error.ipynb")
    assert failed.verdict == FAILED and len(failed.executions) == 1
    assert (failed.failure.kind, failed.failure.cell, failed.failure.ename) == (
        EXCEPTION,
        2,
        "ValueError",
    )
    message = failed.failure.message
    assert message.startswith("cell 2 raised ValueError: ") and "\n" not in message
    assert "ParseSyntaxException" in message
    assert "baseline not written: the notebook failed" in failed.notes


def test_one_run_is_unverified_and_a_one_run_baseline_says_so(tmp_path, nbcheck):
    notebook = write_notebook(tmp_path / "one.ipynb", code("print(40 + 2)"))
    once = nbcheck("repro", "--progress", "none", str(notebook), "--runs", "1")
    assert once.exit_code == 3, once.out
    assert f"{notebook}: unverified (1 run; outputs; no baseline)" in once.out
    assert "one run and no baseline: nothing to compare it with" in once.out

    written = nbcheck(
        "repro", "--progress", "none", str(notebook), "--runs", "1", "--update-baseline"
    )
    assert written.exit_code == 3, written.out
    baseline = tmp_path / "one.repro.json"
    assert f"baseline written to {baseline} from 1 run, which nothing checked" in written.out
    assert json.loads(baseline.read_text())["runs"] == 1

    against = nbcheck("repro", "--progress", "none", str(notebook), "--runs", "1")
    assert against.exit_code == 0, against.out
    assert f"reproduced (1 run; outputs; baseline {baseline})" in against.out


def test_markdown_of_the_collection(checked):
    _, report = checked
    rendered = renderer("markdown")(report)
    project, _ = checked
    assert f"| `{project / 'hook_error.ipynb'}` | 💥 failed |" in rendered
    assert f"| `{project / 'timing.ipynb'}` | ✅ reproduced |" in rendered
    assert f"### `{project / 'timing.ipynb'}`" not in rendered
    assert "| output | cell 2 row 'r2', column 'c' |" in rendered
    assert "NBD302 in cell 1" in rendered
    assert report.counts() == {"reproduced": 1, "differs": 3, "failed": 1, UNVERIFIED: 0}
