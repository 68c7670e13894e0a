"""The pure part of `nbcheck repro`: comparison, sanitizing, baselines and report rendering."""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from xml.etree import ElementTree

import pytest

from nb_discipline.repro.baseline import (
    BaselineError,
    baseline_document,
    baseline_path,
    read_baseline,
    write_baseline,
)
from nb_discipline.repro.compare import BaselineData, CompareOptions, compare
from nb_discipline.repro.outputs import sanitize
from nb_discipline.repro.report import renderer
from nb_discipline.repro.results import (
    DIFFERS,
    FAILED,
    REPRODUCED,
    TIMEOUT,
    UNVERIFIED,
    Cause,
    CellOutput,
    Execution,
    Failure,
    MlflowRun,
    Report,
)
from tests.builders import code, notebook


def run(metrics=None, params=None, name="train") -> MlflowRun:
    return MlflowRun(
        run_id="r",
        name=name,
        params=params or {},
        metrics={key: tuple(enumerate(values)) for key, values in (metrics or {}).items()},
    )


def execution(number=1, *runs, outputs=(), failure=None, packages=None) -> Execution:
    return Execution(number, 1.0, runs, outputs, failure, packages=packages or {})


def test_equal_runs_reproduce():
    runs = [execution(n, run({"accuracy": [0.97]}, {"C": "1"})) for n in (1, 2)]
    result = compare("nb.ipynb", runs, CompareOptions())
    assert result.verdict == REPRODUCED
    assert result.metrics_checked == 1
    assert result.compared == ("metrics", "params", "outputs")


def test_metric_outside_tolerance_is_named_with_every_run_and_the_difference():
    runs = [
        execution(1, run({"accuracy": [0.97], "loss": [0.1]})),
        execution(2, run({"accuracy": [0.95], "loss": [0.1]})),
    ]
    result = compare("nb.ipynb", runs, CompareOptions(rtol=1e-3))
    assert result.verdict == DIFFERS
    [difference] = result.differences
    assert (difference.kind, difference.name, difference.values) == (
        "metric",
        "accuracy",
        (0.97, 0.95),
    )
    assert difference.difference == pytest.approx(0.02)
    assert difference.tolerance == "rtol=0.001, atol=0"


def test_tolerances_from_config_globs_and_ignores():
    runs = [
        execution(1, run({"accuracy": [0.97], "time_s": [3.0]})),
        execution(2, run({"accuracy": [0.969], "time_s": [9.0]})),
    ]
    loose = CompareOptions(
        metric_tolerances={"acc*": (None, 0.01, False)}, ignore_metrics=["time_*"]
    )
    assert compare("nb.ipynb", runs, loose).verdict == REPRODUCED
    strict = CompareOptions(metric_tolerances={"time_s": (None, None, True)})
    assert [d.name for d in compare("nb.ipynb", runs, strict).differences] == ["accuracy"]


def test_history_difference_names_the_first_step():
    first = execution(1, run({"loss": [0.5, 0.3, 0.2]}))
    second = execution(2, run({"loss": [0.5, 0.31, 0.2]}))
    [difference] = compare("nb.ipynb", [first, second], CompareOptions()).differences
    assert difference.name == "loss @step 1"
    assert difference.values == (0.3, 0.31)


def test_missing_metric_and_changed_param():
    first = execution(1, run({"accuracy": [0.9], "f1": [0.8]}, {"n": "5"}))
    second = execution(2, run({"accuracy": [0.9]}, {"n": "6"}))
    differences = compare("nb.ipynb", [first, second], CompareOptions()).differences
    assert [(d.kind, d.name, d.values) for d in differences] == [
        ("metric", "f1", (0.8, None)),
        ("param", "n", ("5", "6")),
    ]


def test_nan_equals_nan_but_not_a_number():
    same = [execution(n, run({"loss": [math.nan]})) for n in (1, 2)]
    assert compare("nb.ipynb", same, CompareOptions()).verdict == REPRODUCED
    other = [execution(1, run({"loss": [math.nan]})), execution(2, run({"loss": [1.0]}))]
    assert compare("nb.ipynb", other, CompareOptions()).verdict == DIFFERS


def test_several_mlflow_runs_pair_by_name():
    first = execution(1, run({"acc": [0.9]}, name="a"), run({"acc": [0.8]}, name="b"))
    second = execution(2, run({"acc": [0.8]}, name="b"), run({"acc": [0.91]}, name="a"))
    [difference] = compare("nb.ipynb", [first, second], CompareOptions()).differences
    assert difference.name == "a/acc"


def test_baseline_is_the_reference_and_version_changes_are_noted():
    baseline = BaselineData(
        "nb.repro.json", (run({"accuracy": [0.99]}),), packages={"numpy": "1.0"}
    )
    runs = [execution(n, run({"accuracy": [0.97]}), packages={"numpy": "2.0"}) for n in (1, 2)]
    result = compare("nb.ipynb", runs, CompareOptions(), baseline)
    [difference] = result.differences
    assert (difference.baseline, difference.values) == (0.99, (0.97, 0.97))
    assert result.between_runs is False
    assert result.notes == (
        "the 2 runs agree with each other but not with the baseline: "
        "a change since the baseline, not flakiness",
        "changed since the baseline: package versions: numpy 1.0 -> 2.0",
    )


def test_notebook_without_metrics_is_judged_on_outputs_and_says_so():
    first = execution(1, outputs=(CellOutput(2, "c", "value 1\n"),))
    second = execution(2, outputs=(CellOutput(2, "c", "value 2\n"),))
    result = compare("nb.ipynb", [first, second], CompareOptions(compare_outputs=False))
    assert result.verdict == DIFFERS
    assert "logs no metrics to MLflow: judged on its outputs" in result.notes
    [difference] = result.differences
    assert (difference.kind, difference.name) == ("output", "cell 2 line 1, 1st number")
    assert (difference.values, difference.difference, difference.cell) == (("1", "2"), 1.0, 2)
    assert result.first_differing_cell == 2


def test_what_is_volatile_by_construction_is_sanitized():
    first = (
        "<Model at 0x7f3a2b1c> saved to /tmp/tmpab12cd_x/model.pkl\n"
        " 10%|█| 1/10 [00:00<00:09, 1.0it/s]\r100%|██| 10/10 [00:01<00:00, 9.52it/s]\n"
        "run 550e8400-e29b-41d4-a716-446655440000\n"
        "\x1b[1m32/32\x1b[0m ━━━━━━━━━━━━━━━━━━━━ \x1b[1m1s\x1b[0m 30ms/step - loss: 0.5000\n"
    )
    second = (
        "<Model at 0x7f99aaaa> saved to /tmp/tmp_x9y8z7w/model.pkl\n"
        "100%|██| 10/10 [00:03<00:00, 3.10it/s]\n"
        "run 123e4567-e89b-12d3-a456-426614174000\n"
        "32/32 ━━━━━━━━━━━━━━━━━━━━ 2s 61ms/step - loss: 0.5000\n"
    )
    assert sanitize(first) == sanitize(second)
    assert sanitize("epoch 3 loss 0.5", [r"loss \S+"]) == "epoch 3 <sanitized>"
    assert sanitize("run 0123abcd", known=["0123abcd"]) == "run <run id>"


@pytest.mark.parametrize(
    "text",
    [
        "fingerprint 9e107d9d372bb6826bd81d3542a419d6",  # an md5 digest is data
        "drawn 1994-03-17 12:00:00",  # a date from the data
        "took 40 s",  # a number followed by s
        "value 0x1f",  # a hex literal that is no address
        "saved to /tmp/data/tmp_output1",  # a directory named by the notebook
    ],
)
def test_data_that_only_looks_volatile_is_kept(text):
    assert sanitize(text, window=(time.time() - 5, time.time())) == text


def test_timing_lines_of_time_and_timeit_are_sanitized_whatever_the_micro_sign():
    first = (
        "252 ns ± 52.7 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)\n"
        "179 \u03bcs ± 2.05 \u03bcs per loop (mean ± std. dev. of 2 runs, 3 loops each)\n"
        "CPU times: user 1.77 ms, sys: 0 ns, total: 1.77 ms\nWall time: 4.28 ms\n"
    )
    second = (
        "The slowest run took 5.12 times longer than the fastest. This could mean that an "
        "intermediate result is being cached.\n"
        "1.1 \u00b5s ± 9 ns per loop (mean ± std. dev. of 7 runs, 100,000 loops each)\n"
        "2 ms ± 3 us per loop (mean ± std. dev. of 1 run, 1 loop each)\n"
        "Compiler : 120 ms\n"
        "CPU times: user 1min 3s, sys: 12 \u03bcs, total: 1min 3s\nWall time: 1h 2min 3s\n"
    )
    assert sanitize(first) == sanitize(second)
    assert "\u03bc" not in sanitize(first)


def test_timestamps_are_sanitized_only_inside_the_run_window():
    import datetime

    now = datetime.datetime(2026, 12, 6, 2, 27, 5, 818098, tzinfo=datetime.UTC)
    start = now.timestamp() - 3
    window = (start, start + 6)
    printed = [
        now.isoformat(),
        f"{now:%Y-%m-%d %H:%M:%S},818",  # logging's asctime (naive, here UTC)
        "Sun Dec  6 02:27:05 2026",
        repr(now),
        "02:27:05",
        "2026-12-06",
        "2026-12-06T04:27:05+02:00",
    ]
    for text in printed:
        assert sanitize(text, window=window) == "<timestamp>", text
    for text in ["2026-12-06T02:37:05Z", "Sun Dec  6 02:29:05 2026", "1999-12-06", "02:21:00"]:
        assert sanitize(text, window=window) == text
    assert sanitize(now.isoformat()) == now.isoformat()  # no window, no timestamp sanitized


def test_a_time_inside_any_run_window_is_sanitized_in_every_run():
    # The same time of day, printed by both runs from the data, falls in the first run's window:
    # sanitized in both, or the second run would differ from the first for nothing.
    start = 1796524300.0  # 2026-12-06 02:31:40 UTC
    runs = [
        replace(
            execution(n, outputs=(CellOutput(2, None, "market opens 02:31:45\n"),)),
            started_at=start + 60 * (n - 1),
            finished_at=start + 60 * n,
        )
        for n in (1, 2)
    ]
    assert compare("nb.ipynb", runs, CompareOptions()).verdict == REPRODUCED


def test_numbers_in_outputs_compare_as_numbers_with_the_metrics_tolerance():
    def outputs(text, number):
        return execution(number, outputs=(CellOutput(3, "c", text),))

    close = [outputs("accuracy 0.9629999\n", 1), outputs("accuracy 0.963\n", 2)]
    assert compare("nb.ipynb", close, CompareOptions()).verdict == REPRODUCED
    moved = [outputs("accuracy 0.9711, seed 1234567890\n", 1)]
    moved.append(outputs("accuracy 0.9711, seed 1234567891\n", 2))
    [difference] = compare("nb.ipynb", moved, CompareOptions(rtol=0.01)).differences
    # an integer is exact: a seed or a count off by one differs, whatever rtol says
    assert (difference.name, difference.values) == (
        "cell 3 line 1, 2nd number",
        ("1234567890", "1234567891"),
    )
    assert (difference.difference, difference.tolerance) == (1.0, "exact")


def test_output_tolerances_per_cell_and_per_pattern():
    runs = [
        execution(
            1, outputs=(CellOutput(2, None, "loss 0.50 acc 0.90\n"), CellOutput(4, None, "n 10\n"))
        ),
        execution(
            2, outputs=(CellOutput(2, None, "loss 0.52 acc 0.91\n"), CellOutput(4, None, "n 12\n"))
        ),
    ]
    options = CompareOptions(
        output_tolerances={r"loss \S+": (None, 0.05, False), "cell 4": (0.5, None, False)}
    )
    [difference] = compare("nb.ipynb", runs, options).differences
    assert (difference.name, difference.values) == ("cell 2 line 1, 2nd number", ("0.90", "0.91"))
    assert difference.tolerance == "rtol=1e-06, atol=0"
    ignoring = CompareOptions(
        output_tolerances={
            r"acc \S+": (None, None, True),
            r"loss \S+": (None, 0.05, False),
            "cell 4": (0.5, None, False),
        }
    )
    assert compare("nb.ipynb", runs, ignoring).verdict == REPRODUCED


def test_a_table_is_compared_cell_by_cell_and_the_cell_named():
    printed = "       a  b     c\nr1  1.50  x  0.10\nr2  2.25  y  0.20\n"
    html = "\ta\tb\tc\nr1\t1.50\tx\t0.10\nr2\t2.25\ty\t0.20\n"
    for table, changed in (
        (printed, printed.replace("0.20", "0.35")),
        (html, html.replace("0.20", "0.35")),
    ):
        runs = [
            execution(1, outputs=(CellOutput(6, None, table),)),
            execution(2, outputs=(CellOutput(6, None, changed),)),
        ]
        [difference] = compare("nb.ipynb", runs, CompareOptions()).differences
        assert difference.name == "cell 6 row 'r2', column 'c'"
        assert difference.values == ("0.20", "0.35")
        assert difference.difference == pytest.approx(0.15)


def test_values_are_shown_with_every_digit_and_the_difference_to_4():
    runs = [
        execution(1, run({"loss": [0.1234567891234]})),
        execution(2, run({"loss": [0.1234567891299]})),
    ]
    rendered = renderer("text")(
        Report((compare("nb.ipynb", runs, CompareOptions(rtol=0)),), 2, 42, 0, 0)
    )
    assert "metric  loss  -         0.1234567891234  0.1234567891299  6.5e-12     exact" in rendered


def test_a_printed_table_names_only_rows_whose_label_it_shows():
    printed = "       x\nk n     \na 1  0.1\n  2  0.2\nb 1  0.3\n  2  0.4\n"
    runs = [
        execution(n, outputs=(CellOutput(2, None, text),))
        for n, text in ((1, printed), (2, printed.replace("0.1", "0.15").replace("0.4", "0.45")))
    ]
    names = [d.name for d in compare("nb.ipynb", runs, CompareOptions()).differences]
    assert names == ["cell 2 row 'a 1', column 'x'", "cell 2 line 6, 2nd number"]


def test_changed_words_show_the_whole_line():
    long = "x" * 120
    runs = [
        execution(1, outputs=(CellOutput(2, None, f"a\n{long} fingerprint 9e107d9d\n"),)),
        execution(2, outputs=(CellOutput(2, None, f"a\n{long} fingerprint 5d41402a\n"),)),
    ]
    [difference] = compare("nb.ipynb", runs, CompareOptions()).differences
    assert difference.name == "cell 2 line 2"
    assert difference.values == (f"{long} fingerprint 9e107d9d", f"{long} fingerprint 5d41402a")


def test_one_run_without_a_baseline_is_unverified():
    result = compare("nb.ipynb", [execution(1, run({"accuracy": [0.97]}))], CompareOptions())
    assert result.verdict == UNVERIFIED
    assert "nothing to compare it with" in result.notes[-1]
    baseline = BaselineData("nb.repro.json", (run({"accuracy": [0.97]}),))
    against = compare(
        "nb.ipynb", [execution(1, run({"accuracy": [0.97]}))], CompareOptions(), baseline
    )
    assert against.verdict == REPRODUCED


def test_one_run_against_a_baseline_cannot_tell_a_change_from_flakiness():
    baseline = BaselineData("nb.repro.json", (run({"accuracy": [0.99]}),), runs_recorded=1)
    result = compare(
        "nb.ipynb", [execution(1, run({"accuracy": [0.97]}))], CompareOptions(), baseline
    )
    assert result.between_runs is None
    assert result.notes == (
        "the run differs from the baseline; one run cannot tell a change from flakiness "
        "(--runs 2 can)",
        # neither side recorded package versions nor data reads: they were not compared
        "nothing nbcheck records (code, seed) changed since the baseline; the baseline records "
        "no data reads, so none were compared",
        "the baseline was written from a single run, never checked against a second",
    )


def test_what_changed_since_the_baseline_names_the_code_hash_and_the_seed():
    baseline = BaselineData(
        "nb.repro.json", (run({"accuracy": [0.99]}),), seed=7, notebook_sha256="a" * 64
    )
    runs = [execution(n, run({"accuracy": [0.97]})) for n in (1, 2)]
    result = compare(
        "nb.ipynb", runs, CompareOptions(), baseline, seed=42, notebook_sha256="b" * 64
    )
    assert result.notes[-1] == (
        "changed since the baseline: the notebook's code (sha256 aaaaaaaaaaaa… -> bbbbbbbbbbbb…); "
        "the seed, 7 -> 42"
    )


def test_runs_that_differ_from_each_other_name_the_first_cell():
    runs = [
        execution(
            1,
            outputs=(
                CellOutput(2, None, "a 1\n"),
                CellOutput(5, None, "b 1\n"),
                CellOutput(7, None, "c 1\n"),
            ),
        ),
        execution(
            2,
            outputs=(
                CellOutput(2, None, "a 1\n"),
                CellOutput(5, None, "b 2\n"),
                CellOutput(7, None, "c 2\n"),
            ),
        ),
    ]
    baseline = BaselineData("nb.repro.json", (), outputs=(CellOutput(2, None, "a 0\n"),))
    result = compare("nb.ipynb", runs, CompareOptions(), baseline)
    assert (result.between_runs, result.first_differing_cell) == (True, 5)
    assert not any("flakiness" in note for note in result.notes)


def test_images_are_compared_only_when_asked():
    first = execution(1, outputs=(CellOutput(2, "c", "", ("aaa",)),))
    second = execution(2, outputs=(CellOutput(2, "c", "", ("bbb",)),))
    assert compare("nb.ipynb", [first, second], CompareOptions()).verdict == REPRODUCED
    with_images = CompareOptions(compare_images=True)
    assert compare("nb.ipynb", [first, second], with_images).verdict == DIFFERS


def test_a_failed_run_fails_the_notebook_and_flakiness_is_noted():
    failure = Failure(TIMEOUT, "cell 3 did not finish within 5 s", cell=3)
    result = compare("nb.ipynb", [execution(1), execution(2, failure=failure)], CompareOptions())
    assert result.verdict == FAILED
    assert result.failure == failure
    assert "the notebook fails only sometimes" in result.notes[0]


def test_baseline_file_round_trip_is_diff_friendly(tmp_path):
    nb = notebook(code("x = 1"), path=str(tmp_path / "train.ipynb"))
    executed = execution(
        1,
        run({"accuracy": [0.97], "loss": [0.5, math.nan]}, {"C": "1"}),
        packages={"numpy": "2.4.6"},
    )
    path = baseline_path(nb.path, None, str(tmp_path))
    assert path == tmp_path / "train.repro.json"
    write_baseline(path, baseline_document(nb, executed, 42, CompareOptions(), 2))
    text = path.read_text()
    assert '"runs": 2,' in text
    assert '"accuracy": 0.97,' in text
    assert '"1": "nan"' in text  # one value per line; NaN survives as a string
    assert "run_id" not in text
    baseline = read_baseline(path)
    assert (baseline.seed, baseline.runs_recorded) == (42, 2)
    assert baseline.runs[0].metrics["accuracy"] == ((0, 0.97),)
    assert math.isnan(baseline.runs[0].metrics["loss"][1][1])
    assert compare(nb.path, [executed], CompareOptions(), baseline).verdict == REPRODUCED


def test_baseline_dir_mirrors_the_notebook_path(tmp_path):
    path = baseline_path(str(tmp_path / "nbs" / "a" / "train.ipynb"), "baselines", str(tmp_path))
    assert path == tmp_path / "baselines" / "nbs" / "a" / "train.repro.json"


@pytest.mark.parametrize(
    ("content", "reason"),
    [("{", "not valid JSON"), ('{"x": 1}', "not an nbcheck repro baseline")],
)
def test_bad_baseline_is_one_line_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "nb.repro.json"
    path.write_text(content)
    with pytest.raises(BaselineError) as error:
        read_baseline(path)
    assert str(error.value).startswith(str(path)) and reason in str(error.value)
    assert "\n" not in str(error.value)


@pytest.fixture(scope="module")
def report() -> Report:
    differs = compare(
        "b.ipynb",
        [
            execution(
                1, run({"accuracy": [0.97]}), outputs=(CellOutput(3, None, "<class 'tuple'> 1\n"),)
            ),
            execution(
                2, run({"accuracy": [0.95]}), outputs=(CellOutput(3, None, "<class 'tuple'> 2\n"),)
            ),
        ],
        CompareOptions(),
    )
    differs = replace(
        differs,
        likely_causes=(
            Cause("NBD302", 2, "`np.random.default_rng` makes a random generator without a seed"),
        ),
    )
    failed = compare(
        "c.ipynb",
        [
            execution(
                1,
                failure=Failure(
                    "missing-module", "cell 2 imports `nope`", 2, fix="pip install nope"
                ),
            )
        ],
        CompareOptions(),
    )
    reproduced = compare(
        "a.ipynb", [execution(n, run({"accuracy": [0.97]})) for n in (1, 2)], CompareOptions()
    )
    unverified = compare("d.ipynb", [execution(1, run({"accuracy": [0.97]}))], CompareOptions())
    return Report((reproduced, differs, failed, unverified), 2, 42, 1e-6, 0.0)


def test_text_report_table(report):
    rendered = renderer("text")(report)
    assert "b.ipynb: differs: accuracy; cell 3 line 1, 1st number (2 runs;" in rendered
    assert (
        "  what    name                       baseline  run 1  run 2  difference  tolerance\n"
        "  metric  accuracy                   -         0.97   0.95   0.02        rtol=1e-06, atol=0\n"
        "  output  cell 3 line 1, 1st number  -         1      2      1           exact\n"
        "  why: cell 3 first differs between runs; likely cause: NBD302 in cell 2, "
        "`np.random.default_rng` makes a random generator without a seed\n"
    ) in rendered
    assert "c.ipynb: failed: cell 2 imports `nope`" in rendered
    assert "  fix: pip install nope" in rendered
    assert "d.ipynb: unverified (1 run; 1 metric; outputs; no baseline)" in rendered
    assert rendered.rstrip().endswith(
        "4 notebooks: 1 reproduced, 1 differs, 1 failed, 1 unverified"
    )


def test_json_report_is_strict_json(report):
    document = json.loads(renderer("json")(report))
    assert (document["version"], document["reproduced"]) == (2, False)
    assert document["counts"] == {"reproduced": 1, "differs": 1, "failed": 1, "unverified": 1}
    assert [n["verdict"] for n in document["notebooks"]] == [
        "reproduced",
        "differs",
        "failed",
        "unverified",
    ]
    assert document["notebooks"][2]["failure"]["kind"] == "missing-module"
    differs = document["notebooks"][1]
    assert (differs["between_runs"], differs["first_differing_cell"]) == (True, 3)
    assert differs["likely_causes"][0]["code"] == "NBD302"


def test_junit_report(report):
    suite = ElementTree.fromstring(renderer("junit")(report))
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == ("4", "1", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["b.ipynb"].find("failure").get("type") == "differs"
    assert cases["c.ipynb"].find("error").get("type") == "missing-module"
    assert cases["d.ipynb"].find("skipped").get("type") == "unverified"


def test_markdown_report(report):
    rendered = renderer("markdown")(report)
    # the verdict once per notebook; a reproduced notebook is one line, with no section
    assert "| `a.ipynb` | ✅ reproduced | (2 runs; 1 metric; outputs) |" in rendered
    assert "| `b.ipynb` | ❌ differs | accuracy; cell 3 line 1, 1st number (2 runs;" in rendered
    assert "| `c.ipynb` | 💥 failed | cell 2 imports \\`nope\\` |" in rendered
    assert "| `d.ipynb` | ❔ unverified | (1 run; 1 metric; outputs; no baseline) |" in rendered
    assert "### `a.ipynb`" not in rendered and "### `b.ipynb`" in rendered
    assert "| metric | accuracy | - | 0.97 | 0.95 | 0.02 | rtol=1e-06, atol=0 |" in rendered
    assert "- fix: pip install nope" in rendered
    assert (
        "- why: cell 3 first differs between runs; likely cause: NBD302 in cell 2, "
        "\\`np.random.default\\_rng\\` makes"
    ) in rendered


def test_markdown_escapes_html_and_keeps_values_whole():
    long = "<duration> " + "y" * 150
    runs = [
        execution(1, outputs=(CellOutput(2, None, f"{long} a\n"),)),
        execution(2, outputs=(CellOutput(2, None, f"{long} b\n"),)),
    ]
    rendered = renderer("markdown")(
        Report((compare("n.ipynb", runs, CompareOptions()),), 2, 42, 1e-6, 0)
    )
    assert f"&lt;duration&gt; {'y' * 150} a" in rendered
    assert "<duration>" not in rendered


def test_a_pattern_that_is_no_regular_expression_stops_before_any_run(tmp_path, nbcheck):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.nb-discipline.repro.outputs]\n'loss (' = { atol = 0.1 }\n\"cell 3\" = { atol = 1 }\n"
    )
    config = str(tmp_path / "pyproject.toml")
    result = nbcheck("repro", "--progress", "none", "--config", config, str(tmp_path))
    assert result.exit_code == 2
    assert (
        "[tool.nb-discipline.repro.outputs]: 'loss (' is not a regular expression: missing ), "
        "unterminated subpattern at position 5"
    ) in result.err


def test_html_tables_are_read_with_their_spans_and_row_labels():
    from nb_discipline.repro.runner import _html_tables

    pd = pytest.importorskip("pandas")
    index = pd.MultiIndex.from_product([["a", "b"], [1, 2]], names=["k", "n"])
    frame = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4]}, index=index)
    table = _html_tables(frame._repr_html_())
    # the two-level index spans rows in HTML: every row gets its whole label
    assert table == "\tx\na / 1\t0.1\na / 2\t0.2\nb / 1\t0.3\nb / 2\t0.4\n"
    frame.iloc[3, 0] = 0.45
    runs = [
        execution(n, outputs=(CellOutput(2, None, text),))
        for n, text in ((1, table), (2, _html_tables(frame._repr_html_())))
    ]
    [difference] = compare("nb.ipynb", runs, CompareOptions()).differences
    assert (difference.name, difference.values) == (
        "cell 2 row 'b / 2', column 'x'",
        ("0.4", "0.45"),
    )
    wide = pd.DataFrame([[1.5, 2.5]], columns=pd.MultiIndex.from_tuples([("x", "p"), ("x", "q")]))
    assert _html_tables(wide._repr_html_()) == "\tx / p\tx / q\n0\t1.5\t2.5\n"
    assert _html_tables("<p>no table</p>") == ""
