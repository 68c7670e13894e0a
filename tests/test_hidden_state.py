"""NBD201-NBD203: hidden state, judged from the dataflow and the execution counts."""

from __future__ import annotations

from nb_discipline.engine import check
from nb_discipline.loader import from_dict
from nb_discipline.rules import lookup, selected_rules
from tests.builders import code, markdown, notebook, notebook_dict


def findings(nb, selector: str = "NBD2") -> list[tuple[str, int, str | None]]:
    # Dependency rules depend on the project's files, not on the notebook: left out.
    rules = selected_rules([selector], [], ["NBD4"] if selector == "ALL" else [])
    return [(d.code, d.cell, d.symbol) for d in check(nb, rules=rules)]


def messages(nb, selector: str = "NBD2") -> list[str]:
    return [d.message for d in check(nb, rules=selected_rules([selector], [], []))]


# --- NBD201 use-before-definition ---------------------------------------------------------------


def test_read_of_a_name_bound_only_below() -> None:
    nb = notebook(markdown("# T"), code("model = fit(features)"), code("features = 1\nfit = len"))
    diagnostics = check(nb, rules=selected_rules(["NBD201"], [], []))
    assert [(d.cell, d.symbol, d.location.row, d.location.column) for d in diagnostics] == [
        (2, "fit", 1, 9),
        (2, "features", 1, 13),
    ]
    assert diagnostics[1].message == "Cell 2 reads `features`, bound only in cell 3 below"
    assert diagnostics[1].end_location.column == 21


def test_several_binders_below_are_named() -> None:
    nb = notebook(code("print(x)"), code("x = 1"), code("x = 2"))
    assert messages(nb, "NBD201") == ["Cell 1 reads `x`, bound only in cells 2 and 3 below"]


def test_a_cell_that_only_updates_a_name_below_is_not_where_it_is_bound() -> None:
    # fchollet 4.4: `layer_output *= ...` and `/=` below read the name before they rebind it.
    nb = notebook(
        code("print(layer_output)"), code("layer_output *= 0.5"), code("layer_output /= 0.5")
    )
    assert messages(nb, "NBD201") == []
    # One that binds it first still is.
    nb = notebook(code("print(x)"), code("x *= 2"), code("x = 1\nx += 1"))
    assert messages(nb, "NBD201") == [
        "Cell 1 reads `x`, bound only in cell 3 below",
        "Cell 2 reads `x`, bound only in cell 3 below",
    ]


def test_helper_is_judged_where_it_is_called() -> None:
    helper = code("def scaled(v):\n    return v * factor")
    early_call = notebook(helper, code("a = scaled(2)"), code("factor = 3"))
    assert messages(early_call, "NBD201") == [
        "Cell 2 calls `scaled`, which reads `factor`, bound only in cell 3 below"
    ]
    late_call = notebook(helper, code("factor = 3"), code("a = scaled(2)"))
    assert findings(late_call) == []
    never_called = notebook(helper, code("factor = 3"))
    assert findings(never_called) == []


def test_a_function_binds_its_globals_where_it_is_called() -> None:
    reset = code("def reset():\n    global sess\n    sess = 1")
    call_then_read = notebook(reset, code("reset()\nprint(sess)"))
    assert findings(call_then_read) == []
    defined_and_called_then_called_again = notebook(
        code("def reset():\n    global sess\n    sess = 1\nreset()"),
        code("print(sess)"),
        code("reset()"),
    )
    assert findings(defined_and_called_then_called_again) == []
    through_another_function = notebook(
        reset, code("def init():\n    reset()"), code("init()"), code("print(sess)")
    )
    assert findings(through_another_function) == []
    read_then_call = notebook(reset, code("print(sess)"), code("reset()"), code("sess = 2"))
    assert messages(read_then_call) == [
        "Cell 2 reads `sess`, bound only in cells 3 (calling `reset`) and 4 below"
    ]


def test_read_after_a_del() -> None:
    nb = notebook(code("x = 1"), code("del x"), code("print(x)"))
    assert messages(nb, "NBD201") == ["Cell 3 reads `x`, after cell 2 deleted it"]
    rebound = notebook(code("x = 1"), code("del x"), code("x = 2"), code("print(x)"))
    assert findings(rebound) == []


def test_read_before_the_cell_itself_binds() -> None:
    nb = notebook(code("print(total)\ntotal = 0"))
    assert messages(nb, "NBD201") == ["Cell 1 reads `total`, before this cell binds it"]
    through_a_call = notebook(
        code("def reset():\n    global total\n    total = 0"), code("print(total)\nreset()")
    )
    assert messages(through_a_call, "NBD201") == [
        "Cell 2 reads `total`, before this cell binds it (calling `reset`)"
    ]


# --- NBD202 undefined-name ----------------------------------------------------------------------


def test_name_bound_nowhere() -> None:
    nb = notebook(code("import pandas as pd"), code("summary = sales.groupby('r').sum()"))
    diagnostics = check(nb, rules=selected_rules(["NBD202"], [], []))
    assert [(d.cell, d.symbol, d.location.column) for d in diagnostics] == [(2, "sales", 11)]
    assert diagnostics[0].message == "Cell 2 reads `sales`, which no cell binds"


def test_function_bodies_are_checked_where_they_are_written() -> None:
    nb = notebook(
        code(
            "def load():\n    return read(path_to_data)\nclass Model:\n    def fit(self):\n        return lr"
        ),
        code("read = open"),
    )
    assert messages(nb, "NBD202") == [
        "Function `load` reads `path_to_data`, which no cell binds",
        "Method `Model.fit` reads `lr`, which no cell binds",
    ]
    class_with_constructor = notebook(
        code("class Encoder:\n    def __init__(self):\n        self.init = tf_keras.he_normal")
    )
    assert messages(class_with_constructor, "NBD202") == [
        "Method `Encoder.__init__` reads `tf_keras`, which no cell binds"
    ]
    called = notebook(code("def load():\n    return path_to_data"), code("load()"))
    assert findings(called, "NBD202") == [("NBD202", 1, "path_to_data")]


def test_star_imports_and_run_give_the_benefit_of_the_doubt() -> None:
    for source in ("from pylab import *", "%run setup.py", "%%cython\ndef f(): pass"):
        nb = notebook(code(source), code("plot(x)"))
        assert findings(nb) == [], source


def test_what_lies_below_cannot_bind_for_a_read_above() -> None:
    python2_below = notebook(
        code("import numpy as np"), code("total = np.sum(values)"), code("print total")
    )
    assert messages(python2_below) == [
        "Cell 2 reads `values`, which no cell above binds; cell 3 below does not parse, so it "
        "may bind it, but only after this cell runs"
    ]
    star_import_below = notebook(code("plot(x)"), code("from pylab import *"), code("%run a.py"))
    assert messages(star_import_below, "NBD202")[1] == (
        "Cell 1 reads `x`, which no cell above binds; cell 2 below has a star import, so it may "
        "bind it, but only after this cell runs (as may 1 more cell below)"
    )
    later_in_the_cell = notebook(code("plot(x)\nfrom pylab import *"))
    assert messages(later_in_the_cell, "NBD202")[0] == (
        "Cell 1 reads `plot`, which no cell above binds; this cell has a star import further "
        "down, so it may bind it, but only after the read"
    )
    earlier_in_the_cell = notebook(code("from pylab import *\nplot(x)"))
    assert findings(earlier_in_the_cell) == []
    bound_below_too = notebook(code("print(x)"), code("x = 1"), code("print 'hi'"))
    assert messages(bound_below_too) == ["Cell 1 reads `x`, bound only in cell 2 below"]


def test_a_function_read_is_judged_at_the_call_when_a_cell_may_bind_anything() -> None:
    nb = notebook(
        code("def f():\n    return missing"),
        code("f()"),
        code('exec(open("setup.py").read())'),
        code("f()"),
    )
    assert messages(nb) == [
        "Cell 2 calls `f`, which reads `missing`, which no cell above binds; cell 3 below calls "
        "`exec`, so it may bind it, but only after this cell runs"
    ]


def test_builtins_ipython_names_and_history_are_defined() -> None:
    nb = notebook(
        code("x = 1", 1),
        code("x", 2),
        code("print(_, __, ___, _2, _i2, In[1], Out[2], _ih, _oh, _dh, _ii, _iii, __name__)", 3),
        code("display(x)\nget_ipython().run_line_magic('who', '')\nexit", 4),
    )
    assert findings(nb) == []


def test_file_is_not_defined_in_a_notebook() -> None:
    nb = notebook(code("from pathlib import Path\nhere = Path(__file__).parent"))
    assert findings(nb) == [("NBD202", 1, "__file__")]


# --- precision ------------------------------------------------------------------------------


def test_realistic_clean_notebook_is_silent() -> None:
    nb = notebook(
        markdown("# Analysis"),
        code("%matplotlib inline\n%load_ext autoreload\n%autoreload 2", 1),
        code("import numpy as np\nimport pandas as pd\nfrom collections import Counter", 2),
        code("files = !ls data/*.csv\n%time frames = [pd.read_csv(f) for f in files]", 3),
        code(
            "def clean(frame, *, threshold=0.5):\n"
            "    kept = frame[frame.score > threshold]\n"
            "    return kept.assign(ratio=lambda d: d.a / d.b)\n",
            4,
        ),
        code("df = pd.concat([clean(f) for f in frames])\ndf?", 5),
        code(
            "class Summary:\n"
            "    columns = ['a', 'b']\n"
            "    def __init__(self, frame):\n"
            "        self.frame = frame[self.columns]\n"
            "    def counts(self):\n"
            "        return Counter(self.frame.a)\n",
            6,
        ),
        code("summary = Summary(df)\nsummary.counts()\ntotal = sum(v for v in df.a if v)", 7),
        code("with open('out.txt', 'w') as fh:\n    fh.write(str(total))\n_", 8),
        code("%%bash\necho done", 9),
        code(
            "try:\n    cache\nexcept NameError:\n    cache = {}\n"
            "match total:\n    case int(n) if n > 0:\n        cache['n'] = n\n    case _:\n        pass",
            10,
        ),
    )
    assert findings(nb, "ALL") == []


def test_papermill_parameters_are_bound() -> None:
    nb = notebook(
        code("alpha = 0.1\nepochs = 3", 1, tags=["parameters"]),
        code("# Parameters\nalpha = 0.5\nseed = 42\n", 2, tags=["injected-parameters"]),
        code("print(alpha, epochs, seed)", 3),
    )
    assert findings(nb) == []


def test_syntax_error_cell_is_reported_once_and_hides_nothing_else() -> None:
    nb = notebook(code("x = (1,", 1), code("print(x, y)", 2))
    assert findings(nb, "ALL") == [("NBD001", 1, None)]


def test_expression_too_deep_to_walk_is_unreadable_not_a_crash() -> None:
    deep = "x = " + " + ".join(["y"] * 2000)  # parses, but deeper than the recursion limit
    nb = notebook(code("y = 1", 1), code(deep, 2), code("print(x, z)", 3))
    assert findings(nb, "ALL") == []


def test_non_python_notebooks_are_skipped() -> None:
    nb = notebook(code("print(x)", 1), language="R")
    assert findings(nb, "ALL") == []


def test_noqa_suppresses_a_read() -> None:
    nb = notebook(code("print(secret)  # noqa: NBD202"))
    assert findings(nb) == []


# --- NBD203 order-dependent-value ---------------------------------------------------------------


def test_issue_example_message() -> None:
    cells = [markdown("# Data")]  # cell 1
    counts = iter(range(2, 15))
    for index in range(2, 13):
        if index == 4:
            cells.append(code("df = load()", 1))
        elif index == 7:
            cells.append(code("print(df.shape)", 16))
        elif index == 12:
            cells.append(code("df = df[df.x > 0]", 15))
        else:
            cells.append(code(f"v{index} = {index}", next(counts)))
    nb = notebook(*cells, code("load = list", 14))
    assert messages(nb, "NBD203") == [
        "Cell 7 read `df` from cell 12 (run as [15]); top to bottom it would come from cell 4"
    ]
    assert findings(nb, "NBD203") == [("NBD203", 7, "df")]


def test_rerun_of_a_cell_above_after_a_later_one() -> None:
    nb = notebook(code("x = 1", 3), code("x = 2", 2), code("print(x)", 4), code("", None))
    assert messages(nb, "NBD203") == [
        "Cell 3 read `x` from cell 1 (run as [3]); top to bottom it would come from cell 2"
    ]


def test_silent_across_kernel_sessions() -> None:
    # [2] on cells 2 and 4: the counter restarted, and which cells ran in the session of cell 3
    # the counts cannot tell.
    nb = notebook(code("x = 1", 3), code("x = 2", 2), code("print(x)", 4), code("y = 1", 2))
    assert findings(nb, "NBD203") == []


def test_read_through_a_function_call() -> None:
    nb = notebook(
        code("def report():\n    return rate", 1),
        code("rate = 0.1", 2),
        code("report()", 4),
        code("rate = 0.2", 3),
    )
    assert messages(nb, "NBD203") == [
        "Cell 3 read `rate` (through `report`) from cell 4 (run as [3]); "
        "top to bottom it would come from cell 2"
    ]


def test_silent_when_the_value_is_the_same_import() -> None:
    nb = notebook(
        code("from sklearn.svm import SVC\nimport numpy as np", 1),
        code("model = SVC()\nnp.zeros(2)", 3),
        code("from sklearn.svm import SVC\nimport numpy as np", 2),
    )
    assert findings(nb, "NBD203") == []
    other = notebook(
        code("from sklearn.svm import SVC", 1),
        code("model = SVC()", 3),
        code("from sklearn.svm import LinearSVC as SVC", 2),
    )
    assert findings(other, "NBD203") == [("NBD203", 2, "SVC")]


def test_silent_when_counts_were_cleared() -> None:
    # Cell 3 ran ([4], no error) and reads `train`, which only cell 2 binds: cell 2 ran though
    # it has no count (Clear Output drops it), so when it bound `x` the counts cannot tell.
    cleared = notebook(
        code("x = 1", 2),
        code("x = 2\ntrain = x", None),
        code("print(x, train)", 3),
    )
    assert findings(cleared, "NBD203") == []
    # Nothing shows that cell 2 ran: its missing count says it did not.
    never_ran = notebook(code("x = 1", 2), code("x = 2", None), code("print(x)", 3))
    assert findings(never_ran, "NBD203") == [("NBD203", 3, "x")]
    below = notebook(code("x = 1", 1), code("print(x)", 3), code("x = 2", 2), code("y = 3", None))
    assert findings(below, "NBD203") == [("NBD203", 2, "x")]


def test_silent_when_runs_are_missing_in_between() -> None:
    # [3] and [4] are not in the notebook: a deleted or re-run cell may have bound x.
    nb = notebook(code("x = 1", 1), code("print(x)", 5), code("x = 2", 2))
    assert findings(nb, "NBD203") == []


def test_silent_when_order_matches_or_counts_say_nothing() -> None:
    in_order = notebook(code("x = 1", 1), code("x = 2", 2), code("print(x)", 3))
    stripped = notebook(code("x = 1"), code("print(x)"), code("x = 2"))
    all_equal = notebook(code("x = 1", 0), code("print(x)", 0), code("x = 2", 0))
    for nb in (in_order, stripped, all_equal):
        assert findings(nb, "NBD203") == []


def test_silent_when_an_unknown_binding_ran_in_between() -> None:
    nb = notebook(
        code("x = 1", 1), code("x = 2", 2), code("from m import *", 3), code("print(x)", 4)
    )
    nb_reordered = notebook(code("x = 1", 2), code("x = 2", 1), code("%run s.py", 3), code("x", 4))
    assert findings(nb, "NBD203") == []
    assert findings(nb_reordered, "NBD203") == []


def test_read_from_a_cell_below_that_nothing_above_binds_is_nbd201_only() -> None:
    nb = notebook(code("print(y)", 2), code("y = 1", 1))
    assert findings(nb) == [("NBD201", 1, "y")]


def test_kernel_predefined_names() -> None:
    from nb_discipline.config import Settings

    cells = [code("df = spark.read.table('t')\ndbutils.fs.ls('/')", 1), code("print(sc)", 2)]
    plain = notebook(*cells)
    assert [symbol for _, _, symbol in findings(plain)] == ["spark", "dbutils", "sc"]
    databricks = notebook(*cells, metadata={"application/vnd.databricks.v1+notebook": {}})
    assert findings(databricks) == []
    configured = check(
        plain, Settings(builtins=["spark", "dbutils"]), rules=selected_rules(["NBD2"], [], [])
    )
    assert [d.symbol for d in configured] == ["sc"]


def test_the_pyspark_shell_names_in_a_notebook_that_imports_pyspark_and_does_not_make_them() -> (
    None
):
    shell = notebook(
        code("from pyspark.mllib.regression import LabeledPoint", 1),
        code("raw = sc.textFile('data.txt')\nprint(spark)", 2),
    )
    assert messages(shell, "NBD202") == [
        "Cell 2 reads `sc`, which no cell binds: the pyspark shell defines it, so the notebook "
        "runs in a kernel that pyspark starts, not in a fresh Python kernel",
        "Cell 2 reads `spark`, which no cell binds: the pyspark shell defines it, so the notebook "
        "runs in a kernel that pyspark starts, not in a fresh Python kernel",
    ]
    without_pyspark = notebook(code("raw = sc.textFile('data.txt')", 1))
    assert [symbol for _, _, symbol in findings(without_pyspark)] == ["sc"]
    makes_its_own = notebook(
        code("from pyspark import SparkContext\nraw = sc.textFile('d')", 1),
        code("sc = SparkContext()", 2),
    )
    assert findings(makes_its_own) == [("NBD201", 1, "sc")]


def test_python_2_builtins_are_defined_in_a_python_2_notebook() -> None:
    cells = (code("for i in xrange(3):\n    print(unicode(i))", 1),)
    python_2 = notebook(*cells, metadata={"language_info": {"name": "python", "version": "2.7.11"}})
    assert [d.symbol for d in check(python_2, rules=[lookup("NBD202")])] == []
    python_3 = notebook(*cells)
    assert [d.symbol for d in check(python_3, rules=[lookup("NBD202")])] == ["xrange", "unicode"]


def test_silent_on_a_notebook_that_names_no_language_and_imports_nothing() -> None:
    # A SageMath notebook with its metadata stripped: `x`, `sin` and `plot3d` are Sage's own.
    cells = [code("f = 1 - sin(x) ^ 2", 1), code("plot3d(f)", 2), code("x, y = var('x,y')", 3)]
    stripped = from_dict(notebook_dict(*cells) | {"metadata": {}}, "sage.ipynb")
    assert check(stripped, rules=selected_rules(["NBD2"], [], [])) == []
    assert findings(notebook(*cells)) != []  # named as Python: read as Python
    importing = [code("import math", 1), *cells]
    stripped_python = from_dict(notebook_dict(*importing) | {"metadata": {}}, "py.ipynb")
    assert check(stripped_python, rules=selected_rules(["NBD2"], [], [])) != []


def test_a_cell_below_in_python_2_is_said_not_to_parse_as_python_3() -> None:
    cells = [code("print(pd.DataFrame())", 2), code("import pandas as pd\nprint 'loaded'", 1)]
    python_2 = {"language_info": {"name": "python", "version": "2.7.6"}}
    (message,) = messages(notebook(*cells, metadata=python_2), "NBD202")
    assert message == (
        "Cell 1 reads `pd`, which no cell above binds; cell 2 below does not parse as Python 3 "
        "(the kernel ran Python 2), so it may bind it, but only after this cell runs"
    )
    (message,) = messages(notebook(*cells), "NBD202")
    assert "cell 2 below does not parse, so it may bind it" in message
