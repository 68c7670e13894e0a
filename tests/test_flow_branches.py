"""A call reads what its path through the function reads: branches its arguments decide."""

from __future__ import annotations

import pytest

from nb_discipline.analysis.dataflow import Dataflow, always_defined
from nb_discipline.engine import check
from nb_discipline.loader import from_dict
from nb_discipline.rules import selected_rules
from tests.builders import code, notebook, notebook_dict


def dataflow(*sources: str) -> Dataflow:
    from nb_discipline.analysis.source import parse_cell

    nb = from_dict(notebook_dict(*(code(source) for source in sources)), "t.ipynb")
    return Dataflow(tuple(parse_cell(cell) for cell in nb.code_cells))


def through(flow: Dataflow, cell: int) -> list[str]:
    """The names cell `cell` (0-based among code cells) reads through the functions it calls."""
    return [
        read.name for read in flow.cells[cell].reads if read.via and not always_defined(read.name)
    ]


PLOT = (
    "def plot(resps, iters=11, predict_flag=False, omit=None):\n"
    "    for i in range(iters):\n"
    "        if predict_flag:\n"
    "            predictions(resps)\n"
    "        else:\n"
    "            estimates(resps)\n"
)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("plot(data)", ["estimates"]),  # the default: False
        ("plot(data, predict_flag=True)", ["predictions"]),
        ("plot(data, 11, True)", ["predictions"]),
        ("plot(data, 11, 0)", ["estimates"]),
        ("plot(data, predict_flag=flag)", ["predictions", "estimates"]),  # unknown: both
        ("plot(*args)", ["predictions", "estimates"]),
        ("plot(data, **options)", ["predictions", "estimates"]),
    ],
)
def test_a_branch_on_a_parameter_follows_the_call_arguments(call: str, expected: list) -> None:
    assert through(dataflow(PLOT, call), 1) == expected


@pytest.mark.parametrize(
    ("test", "call", "reads"),
    [
        ("if not quiet:", "f()", True),
        ("if not quiet:", "f(quiet=True)", False),
        ("if init is None:", "f()", True),
        ("if init is None:", "f(init='x')", False),
        ("if init is not None:", "f(init=None)", False),
        ("if init is not None:", "f(init='x')", True),
        ("if mode == 'he':", "f(mode='zeros')", False),
        ("if mode == 'he':", "f(mode='he')", True),
        ("if mode != 'he':", "f(mode='he')", False),
        ("if 'he' == mode:", "f(mode='random')", False),
        ("if mode in ('he', 'xavier'):", "f(mode='zeros')", False),
        ("if mode not in ['he', 'xavier']:", "f(mode='he')", False),
        ("if quiet and mode == 'he':", "f(mode='zeros')", False),
        ("if quiet and other > 1:", "f()", False),
        ("if quiet and other > 1:", "f(quiet=True)", True),
        ("if other > 1 and not quiet:", "f(quiet=True)", False),
        ("if quiet or mode == 'he':", "f(mode='x')", False),
        ("if quiet or mode == 'he':", "f(quiet=1, mode='x')", True),
        ("if steps > 3:", "f(steps=1)", True),  # only tests nbcheck evaluates decide
        ("if quiet:", "f(quiet=-1)", True),
    ],
)
def test_tests_on_parameters(test: str, call: str, reads: bool) -> None:
    define = (
        "def f(quiet=False, init=None, mode='he', steps=5):\n"
        "    other = 2\n"
        f"    {test}\n"
        "        return late\n"
    )
    assert (through(dataflow(define, call), 1) == ["late"]) is reads


def test_elif_chains_are_followed() -> None:
    define = (
        "def model(X, initialization='random'):\n"
        "    if initialization == 'zeros':\n"
        "        params = zeros(X)\n"
        "    elif initialization == 'random':\n"
        "        params = random(X)\n"
        "    elif initialization == 'he':\n"
        "        params = he(X)\n"
        "    return params\n"
    )
    flow = dataflow(
        define, "model(X, initialization='zeros')", "model(X)", "model(X, initialization=i)"
    )
    assert through(flow, 1) == ["zeros"]
    assert through(flow, 2) == ["random"]
    assert through(flow, 3) == ["zeros", "random", "he"]


def test_a_conditional_expression_on_a_parameter() -> None:
    define = "def f(fast=False):\n    return quick() if fast else slow()\n"
    assert through(dataflow(define, "f()"), 1) == ["slow"]
    assert through(dataflow(define, "f(fast=True)"), 1) == ["quick"]


def test_an_early_exit_guards_the_rest_of_the_block() -> None:
    define = "def f(data=None):\n    if data is None:\n        return\n    show(data)\n"
    assert through(dataflow(define, "f()"), 1) == []
    assert through(dataflow(define, "f(frame)"), 1) == ["show"]
    raising = "def f(debug=False):\n    if not debug:\n        raise ValueError\n    trace()\n"
    assert through(dataflow(raising, "f()"), 1) == []
    assert through(dataflow(raising, "f(debug=True)"), 1) == ["trace"]


def test_code_after_return_or_raise_never_runs() -> None:
    define = (
        "def submit():\n    raise Exception('old version')\n    buf = BytesIO()\n    return buf\n"
    )
    flow = dataflow(define, "submit()")
    assert through(flow, 1) == []
    assert "BytesIO" not in flow.cells[0].flow.functions["submit"].reads
    in_a_loop = "for x in xs:\n    if x:\n        continue\n        skipped(x)\n    used(x)"
    assert {read.name for read in dataflow(in_a_loop).cells[0].reads} == {"xs", "used"}


def test_a_rebound_parameter_decides_nothing() -> None:
    define = "def f(flag=False):\n    flag = compute()\n    if flag:\n        return late\n"
    assert through(dataflow(define, "f()"), 1) == ["compute", "late"]
    in_a_loop = (
        "def f(flag=False):\n    for flag in (0, 1):\n        if flag:\n            return late\n"
    )
    assert through(dataflow(in_a_loop, "f()"), 1) == ["late"]
    nonlocal_ = (
        "def f(flag=False):\n"
        "    def g():\n"
        "        nonlocal flag\n"
        "        flag = True\n"
        "    g()\n"
        "    if flag:\n"
        "        return late\n"
    )
    assert through(dataflow(nonlocal_, "f()"), 1) == ["late"]


def test_a_nested_function_is_not_decided_by_the_outer_arguments() -> None:
    define = (
        "def f(flag=False):\n"
        "    def g(flag=True):\n"
        "        if flag:\n"
        "            return late\n"
        "    return g\n"
    )
    assert through(dataflow(define, "f()"), 1) == ["late"]


def test_a_decorated_function_is_called_through_its_wrapper() -> None:
    define = "@wrap\ndef f(flag=False):\n    if flag:\n        return late\n"
    assert through(dataflow(define, "f()"), 1) == ["late"]


def test_transitive_calls_carry_their_arguments() -> None:
    inner = "def g(flag=False):\n    if flag:\n        return late\n"
    flow = dataflow(
        inner,
        "def plain():\n    return g()",
        "def forced():\n    return g(True)",
        "def passing(flag=False):\n    return g(flag=flag)",
        "def guarded(flag=False):\n    if flag:\n        forced()",
        "plain()",
        "forced()",
        "passing()",
        "passing(True)",
        "guarded()",
        "guarded(flag=True)",
    )
    assert through(flow, 5) == ["g"]
    assert through(flow, 6) == ["g", "late"]
    assert through(flow, 7) == ["g"]
    assert through(flow, 8) == ["g", "late"]
    assert through(flow, 9) == []
    assert through(flow, 10) == ["forced", "g", "late"]


def test_the_same_function_called_with_other_arguments_later_in_the_cell() -> None:
    flow = dataflow(PLOT, "plot(data)\nplot(data, predict_flag=True)")
    reads = [(r.name, r.row) for r in flow.cells[1].reads if r.via and not always_defined(r.name)]
    assert reads == [("estimates", 1), ("predictions", 2)]


def test_thinkstats_call_with_the_default_is_not_use_before_definition() -> None:
    """chap13soln.ipynb: cell 44 calls PlotResampledByDecade(resps), whose
    `if predict_flag:` branch alone calls PlotPredictionsByDecade, defined in cell 46."""
    cells = [
        code("resps = []\n" + PLOT.replace("predictions", "Predict").replace("estimates", "Est")),
        code("def Est(groups):\n    return groups"),
        code("plot(resps)"),
        code("def Predict(groups):\n    return groups"),
        code("plot(resps, predict_flag=True)"),
    ]
    assert [
        d.message for d in check(notebook(*cells), rules=selected_rules(["NBD2"], [], []))
    ] == []
    early = notebook(cells[0], cells[1], cells[4], cells[3])
    assert [d.message for d in check(early, rules=selected_rules(["NBD201"], [], []))] == [
        "Cell 3 calls `plot`, which reads `Predict`, bound only in cell 4 below"
    ]


def maybe(flow: Dataflow, cell: int) -> dict[str, bool]:
    """Name -> whether the read through a call happens only on some paths."""
    return {read.name: read.maybe for read in flow.cells[cell].reads if read.via}


@pytest.mark.parametrize(
    ("body", "possible"),
    [
        ("    return late", False),
        ("    for i in items():\n        late(i)", False),  # a loop is taken to run
        ("    if ready():\n        late()", True),
        ("    if flag:\n        late()", True),  # a parameter nobody passed a literal for
        ("    while ready():\n        late()", True),
        ("    try:\n        ready()\n    except ValueError:\n        late()", True),
        ("    if ready():\n        return\n    late()", True),
        ("    return ready() and late()", True),
        ("    return [late() if ready() else 0 for i in items()]", True),
        ("    def inner():\n        return late()\n    return inner", True),
        ("    return lambda: late()", True),
    ],
)
def test_a_read_on_some_paths_only_is_a_possible_read(body: str, possible: bool) -> None:
    flow = dataflow(
        "def ready():\n    return 1\ndef items():\n    return []", f"def f(flag):\n{body}", "f(x)"
    )
    assert maybe(flow, 2)["late"] is possible


def test_decided_branches_are_certain_reads() -> None:
    define = "def f(flag=True):\n    if flag:\n        late()\n"
    assert maybe(dataflow(define, "f()"), 1) == {"late": False}
    assert maybe(dataflow(define, "f(flag=value)"), 1) == {"late": True}
    through_a_possible_call = dataflow(
        "def g():\n    return late()", "def f(flag):\n    if flag:\n        g()", "f(x)"
    )
    assert maybe(through_a_possible_call, 2) == {"g": True, "late": True}
    certain_elsewhere = dataflow(
        "def g():\n    return late()",
        "def f(flag):\n    if flag:\n        g()\n    return g()",
        "f(x)",
    )
    assert maybe(certain_elsewhere, 2) == {"g": False, "late": False}


def test_the_message_says_a_possible_read_may_happen() -> None:
    """Transformers-Tutorials TimesFM: cell 24 calls TimeSeriesRandomDataset(time_series, ...),
    whose __init__ reads np only when time_series is not a pandas Series."""
    cells = [
        code("import pandas as pd\nseries = pd.Series([1.0])"),
        code(
            "class Windows:\n"
            "    def __init__(self, series):\n"
            "        if isinstance(series, pd.Series):\n"
            "            self.values = series.values\n"
            "        else:\n"
            "            self.values = np.array(series)\n"
        ),
        code("windows = Windows(series)"),
        code("import numpy as np"),
    ]
    assert [
        d.message for d in check(notebook(*cells), rules=selected_rules(["NBD201"], [], []))
    ] == ["Cell 3 calls `Windows`, which may read `np`, bound only in cell 4 below"]


def test_a_callback_lambda_reads_nothing_where_it_is_written() -> None:
    """milaan9 017_Check_Weather_Forecast_with_GUI cell 3: a Button's
    `command=lambda: get_weather(...)` runs on a click, during the `app.mainloop()` that ends the
    cell, after the cell bound `results`; get_weather reads `results`. The lambda is passed on,
    not called where it is written: nbcheck does not see when it runs."""
    flow = dataflow(
        "def get_weather(city):\n    results['text'] = city",
        "button = Button(command=lambda: get_weather(box.get()))\nresults = Label()\nbox = Entry()",
    )
    assert [read.name for read in flow.cells[1].reads] == ["Button", "Label", "Entry"]
    cells = [
        code("def get_weather(city):\n    results['text'] = city\n    return icon"),
        code("button = Button(command=lambda: get_weather(box.get()))\nresults = Label()"),
        code("Button = Label = icon = box = 1"),
    ]
    assert [
        d.message for d in check(notebook(*cells), rules=selected_rules(["NBD201"], [], []))
    ] == [
        "Cell 2 reads `Button`, bound only in cell 3 below",
        "Cell 2 reads `Label`, bound only in cell 3 below",
    ]
    direct = dataflow("print(scale)\nf(lambda r: r * scale)\nscale = 2")
    assert [read.name for read in direct.cells[0].reads] == ["print", "scale", "f"]


def test_a_callee_reads_what_its_caller_bound_before_calling_it() -> None:
    """norvig/pytudes How To Count Things: plot_depths sets `global depths` and then calls
    count_change_with_depths, which appends to it; cell 149's plot_depths(10**5) reads no
    `depths` from the namespace."""
    flow = dataflow(
        "def count():\n    global depth\n    depth += 1\n    depths.append(depth)\n"
        "def plot():\n    global depth, depths\n    depth, depths = 0, []\n    count()\n    return depths",
        "plot()",
        "def late():\n    count()\n    global depths\n    depths = []",
        "late()",
    )
    assert through(flow, 1) == ["count"]
    assert through(flow, 3) == ["count", "depths"]


def test_a_function_reads_what_a_function_it_called_first_bound() -> None:
    """norvig/pytudes Sudoku: show(grid) calls use_grid_size(len(grid)), which binds B and D
    (`global`), then reads B and D."""
    flow = dataflow(
        "def setup(n):\n    global B\n    B = n\n"
        "def show(grid):\n    setup(len(grid))\n    return B\n"
        "def early(grid):\n    print(B)\n    setup(1)\n    return B",
        "show(x)",
        "early(x)",
    )
    assert [(read.name, read.via) for read in flow.cells[1].reads if read.via] == [
        ("setup", "show"),
        ("len", "show"),
    ]
    assert [(read.name, read.via) for read in flow.cells[2].reads if read.via] == [
        ("print", "early"),
        ("B", "early"),
        ("setup", "early"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        "    try:\n        return late\n    except NameError:\n        return None",
        "    if 'late' in globals():\n        return late",
    ],
)
def test_a_function_read_guarded_against_name_error_is_no_read(body: str) -> None:
    flow = dataflow(f"def f():\n{body}", "f()", "late = 1")
    assert through(flow, 1) == []
    assert "late" not in flow.cells[0].flow.functions["f"].reads


def test_a_handler_that_raises_again_guards_nothing() -> None:
    """tokenize.open: `try: ... detect_encoding(...) ... except: buffer.close(); raise`."""
    flow = dataflow(
        "def f():\n    try:\n        return late\n    except:\n        close()\n        raise",
        "f()",
    )
    assert through(flow, 1) == ["late", "close"]
    assert [
        read.name for read in dataflow("try:\n    late\nexcept:\n    raise").cells[0].reads
    ] == ["late"]
