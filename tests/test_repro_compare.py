"""The pure part of `nbcheck repro`: comparison, sanitizing, baselines and report rendering."""

from __future__ import annotations

import json
import math
from xml.etree import ElementTree

import pytest

from nb_discipline.repro.baseline import (
    BaselineError,
    baseline_document,
    baseline_path,
    read_baseline,
    write_baseline,
)
from nb_discipline.repro.compare import BaselineData, CompareOptions, compare, sanitize
from nb_discipline.repro.report import renderer
from nb_discipline.repro.results import (
    DIFFERS,
    FAILED,
    REPRODUCED,
    TIMEOUT,
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
    assert "package versions differ from the baseline: numpy 1.0 -> 2.0" in result.notes


def test_notebook_without_metrics_is_judged_on_outputs_and_says_so():
    first = execution(1, outputs=(CellOutput(2, "c", "value 1\n"),))
    second = execution(2, outputs=(CellOutput(2, "c", "value 2\n"),))
    result = compare("nb.ipynb", [first, second], CompareOptions(compare_outputs=False))
    assert result.verdict == DIFFERS
    assert "logs no metrics to MLflow: judged on its outputs" in result.notes
    [difference] = result.differences
    assert (difference.kind, difference.name) == ("output", "cell 2 line 1")
    assert difference.values == ("value 1", "value 2")


def test_volatile_output_is_sanitized():
    first = (
        "<Model at 0x7f3a2b1c> took 1.52 s on 2026-11-29 04:53:51\n 10%|█| 1/10\r100%|██| 10/10\n"
    )
    second = (
        "<Model at 0x7f99aaaa> took 0.98 s on 2026-11-30 01:00:00\n100%|██| 10/10 [00:01<00:00]\n"
    )
    assert sanitize(first) == sanitize(second)
    assert sanitize("/tmp/tmpab12/model.pkl saved") == "<tmp> saved"
    assert sanitize("epoch 3 loss 0.5", [r"loss \S+"]) == "epoch 3 <sanitized>"
    assert sanitize("accuracy 0.97") == "accuracy 0.97"


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
    write_baseline(path, baseline_document(nb, executed, 42, CompareOptions()))
    text = path.read_text()
    assert '"accuracy": 0.97,' in text
    assert '"1": "nan"' in text  # one value per line; NaN survives as a string
    assert "run_id" not in text
    baseline = read_baseline(path)
    assert baseline.seed == 42
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
        [execution(1, run({"accuracy": [0.97]})), execution(2, run({"accuracy": [0.95]}))],
        CompareOptions(),
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
    reproduced = compare("a.ipynb", [execution(1, run({"accuracy": [0.97]}))], CompareOptions())
    return Report((reproduced, differs, failed), 2, 42, 1e-6, 0.0)


def test_text_report_table(report):
    rendered = renderer("text")(report)
    assert "b.ipynb: differs: accuracy" in rendered
    assert "what    name      baseline  run 1  run 2  difference  tolerance" in rendered
    assert "metric  accuracy  -         0.97   0.95   0.02" in rendered
    assert "c.ipynb: failed: cell 2 imports `nope`" in rendered
    assert "  fix: pip install nope" in rendered
    assert rendered.rstrip().endswith("3 notebooks: 1 reproduced, 1 differs, 1 failed")


def test_json_report_is_strict_json(report):
    document = json.loads(renderer("json")(report))
    assert document["reproduced"] is False
    assert document["counts"] == {"reproduced": 1, "differs": 1, "failed": 1}
    assert [n["verdict"] for n in document["notebooks"]] == ["reproduced", "differs", "failed"]
    assert document["notebooks"][2]["failure"]["kind"] == "missing-module"


def test_junit_report(report):
    suite = ElementTree.fromstring(renderer("junit")(report))
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["b.ipynb"].find("failure").get("type") == "differs"
    assert cases["c.ipynb"].find("error").get("type") == "missing-module"


def test_markdown_report(report):
    rendered = renderer("markdown")(report)
    assert "| `b.ipynb` | ❌ differs |" in rendered
    assert "| metric | accuracy | - | 0.97 | 0.95 |" in rendered
    assert "- fix: pip install nope" in rendered
