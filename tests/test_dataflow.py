"""analysis.dataflow: what each cell reads from and binds in the global namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb_discipline.analysis.dataflow import Dataflow, always_defined, cell_flow
from nb_discipline.analysis.source import parse_source
from nb_discipline.loader import from_dict
from tests.builders import code, notebook_dict


def reads(source: str) -> list[str]:
    """Names the cell reads from the namespace, builtins left out, in order."""
    return [name for name in cell_flow(parse_source(source)).reads if not always_defined(name)]


def binds(source: str) -> set[str]:
    return set(cell_flow(parse_source(source)).binds)


def dataflow(*sources: str) -> Dataflow:
    from nb_discipline.analysis.source import parse_cell

    nb = from_dict(notebook_dict(*(code(source) for source in sources)), "t.ipynb")
    return Dataflow(tuple(parse_cell(cell) for cell in nb.code_cells))


def test_reads_before_the_cell_binds_and_not_after() -> None:
    assert reads("x = y + 1\nprint(x)") == ["y"]
    assert binds("x = y + 1\nprint(x)") == {"x"}
    assert reads("y = 1\nx = y") == []


def test_value_is_read_before_the_target_is_bound() -> None:
    assert reads("df = df.dropna()") == ["df"]
    assert reads("x += 1") == ["x"] and binds("x += 1") == {"x"}
    assert reads("total: int = total + 1") == ["total"]


def test_function_bodies_are_not_read_where_defined() -> None:
    flow = cell_flow(
        parse_source("def f(a, b=default, *args, c: Kind = 1, **kw):\n    return a + g + b")
    )
    assert [name for name in flow.reads if not always_defined(name)] == ["default", "Kind"]
    assert set(flow.binds) == {"f"}
    assert set(flow.functions["f"].reads) == {"g"}


def test_decorators_and_annotations_run_at_definition() -> None:
    assert reads("@register(app)\ndef handler(x: Frame) -> Result:\n    return x") == [
        "register",
        "app",
        "Frame",
        "Result",
    ]
    assert reads("def f():\n    y: Unused = 1\n    z: AlsoUnused\n    return y") == []


def test_future_annotations_are_not_read_in_that_cell_and_below() -> None:
    lazy = (
        "from __future__ import annotations\ndef f(x: Later) -> Result:\n    return x\ny: Alias = 1"
    )
    assert reads(lazy) == []
    flow = dataflow(
        "from __future__ import annotations", "def f(x: Later) -> Result:\n    return x"
    )
    assert [read.name for read in flow.cells[1].reads] == []
    eager = dataflow("import os", "def f(x: Later):\n    return x")
    assert [read.name for read in eager.cells[1].reads] == ["Later"]


def test_closures_and_nonlocal_resolve_in_the_enclosing_function() -> None:
    source = (
        "def outer():\n"
        "    def inner():\n"
        "        nonlocal count\n"
        "        count += 1\n"
        "        return v + w\n"
        "    count = 0\n"
        "    v = 1\n"
        "    return inner()"
    )
    assert set(cell_flow(parse_source(source)).functions["outer"].reads) == {"w"}


def test_global_statement_reads_and_binds_the_module_name() -> None:
    flow = cell_flow(parse_source("def bump():\n    global counter\n    counter += 1"))
    assert set(flow.functions["bump"].reads) == {"counter"}
    assert flow.functions["bump"].binds == {"counter"}
    assert "counter" not in flow.binds


def test_assignment_in_a_function_makes_the_name_local() -> None:
    flow = cell_flow(parse_source("def f():\n    x = 1\n    x += 1\n    del y\n    return x, y"))
    assert set(flow.functions["f"].reads) == set()


def test_class_bodies_run_at_once_and_hide_their_names_from_methods() -> None:
    source = (
        "class Model(Base, metaclass=Meta):\n"
        "    size = default_size\n"
        "    doubled = size * 2\n"
        "    def __init__(self):\n"
        "        self.lr = learning_rate\n"
        "    def size_of(self):\n"
        "        return size\n"
    )
    flow = cell_flow(parse_source(source))
    assert [name for name in flow.reads if not always_defined(name)] == [
        "Base",
        "Meta",
        "default_size",
    ]
    assert set(flow.functions["Model.size_of"].reads) == {"size"}  # the global, not the class's
    assert set(flow.functions["Model"].reads) == {"learning_rate"}  # constructors run on call


def test_comprehensions_have_their_own_scope() -> None:
    assert reads("[i * k for i in range(n) if i > lim]") == ["n", "lim", "k"]
    assert binds("[i for i in items]") == set()
    assert reads("{k: v for k, v in pairs.items()}") == ["pairs"]
    assert reads("[x for row in rows for x in row if x in wanted]") == ["rows", "wanted"]
    assert reads("(j for j in range(3))") == []


def test_class_names_are_invisible_to_comprehensions_in_the_class() -> None:
    source = "class A:\n    k = 2\n    doubled = [k * i for i in items]"
    assert reads(source) == ["items", "k"]


def test_walrus_binds_in_the_enclosing_scope() -> None:
    assert binds("kept = [y for x in xs if (y := f(x))]") == {"kept", "y"}
    assert reads("if (n := len(data)) > 10:\n    print(n)") == ["data"]


def test_lambdas() -> None:
    assert reads("scaled = df.apply(lambda r: r * factor)") == ["df", "factor"]
    flow = cell_flow(parse_source("score = lambda r, w=weight: r * factor"))
    assert [name for name in flow.reads if not always_defined(name)] == ["weight"]
    assert set(flow.functions["score"].reads) == {"factor"}


def test_imports() -> None:
    assert binds("import os.path\nimport numpy as np\nfrom a.b import c as d, e") == {
        "os",
        "np",
        "d",
        "e",
    }
    flow = cell_flow(parse_source("from pylab import *"))
    assert flow.binds_unknown and not flow.binds


@pytest.mark.parametrize(
    "source",
    ["exec(code)", "globals().update(params)", "globals()[name] = 1", "%run setup.py", "%pylab"],
)
def test_dynamic_bindings_may_bind_anything(source: str) -> None:
    assert cell_flow(parse_source(source)).binds_unknown


def test_constant_globals_key_binds_that_name() -> None:
    flow = cell_flow(parse_source("globals()['threshold'] = 0.5"))
    assert "threshold" in flow.binds and not flow.binds_unknown


def test_del_at_top_level_unbinds() -> None:
    flow = cell_flow(parse_source("x = 1\ndel x\nif c:\n    del y"))
    assert flow.final == {"x": False}
    assert cell_flow(parse_source("del x\nx = 2")).final == {"x": True}


def test_match_captures() -> None:
    source = (
        "match command:\n"
        "    case Point(x=0, y=yy) | [yy, *rest]:\n"
        "        print(yy, rest)\n"
        "    case {'k': kk, **others} if kk > limit:\n"
        "        pass\n"
        "    case Color.RED as red:\n"
        "        pass\n"
    )
    assert reads(source) == ["command", "Point", "limit", "Color"]
    assert binds(source) == {"yy", "rest", "kk", "others", "red"}


def test_try_except_with_and_for_targets() -> None:
    source = (
        "with open(path) as fh, lock() as (a, b):\n"
        "    pass\n"
        "try:\n"
        "    1 / 0\n"
        "except (ValueError, CustomError) as err:\n"
        "    print(err)\n"
        "for i, (j, k) in enumerate(pairs):\n"
        "    pass\n"
    )
    assert reads(source) == ["path", "lock", "CustomError", "pairs"]
    assert binds(source) == {"fh", "a", "b", "err", "i", "j", "k"}


def test_code_under_a_constant_false_test_never_runs() -> None:
    assert reads("if False:\n    x = pt.wrap(image)\nz = 1") == []
    assert binds("if False:\n    x = pt.wrap(image)\nz = 1") == {"z"}
    assert reads("if 0:\n    a = b\nelse:\n    c = d") == ["d"]
    assert reads("if True:\n    a = b\nelse:\n    c = d") == ["b"]
    assert reads("while False:\n    e = f\nelse:\n    g = h") == ["h"]


@pytest.mark.parametrize(
    ("test", "runs"),
    [
        ("sys.version_info < (3, 0)", "else"),
        ("sys.version_info[0] == 2", "else"),
        ("sys.version_info.major < 3", "else"),
        ("not sys.version_info >= (3,)", "else"),
        ("six.PY2", "else"),
        ("sys.version_info >= (3, 0)", "body"),
        ("sys.version_info < (3, 8)", "both"),
        ("sys.version_info.minor > 6", "both"),
    ],
)
def test_python_2_branches_never_run(test: str, runs: str) -> None:
    """Cells that parse are Python 3: a test of the version every Python 3 decides alike."""
    names = reads(f"import sys, six\nif {test}:\n    a = unicode(s)\nelse:\n    a = str(t)")
    expected = {"body": ["s"], "else": ["t"], "both": ["s", "t"]}[runs]
    assert [name for name in names if name in ("s", "t")] == expected


def test_reads_guarded_against_name_error_do_not_count() -> None:
    assert reads("try:\n    model\nexcept NameError:\n    model = build()") == ["build"]
    assert reads("try:\n    cache\nexcept:\n    cache = {}") == []
    assert reads("try:\n    df = load(path)\nexcept Exception:\n    df = None") == ["load", "path"]


def test_reads_checked_by_a_globals_test_do_not_count() -> None:
    assert reads("if 'model' in globals():\n    model.save()\nelse:\n    model = make()") == [
        "make"
    ]
    assert reads("cache = cache if 'cache' in dir() else {}") == []
    assert reads("if 'a' in globals():\n    print(b)") == ["b"]
    combined = "if 'a' in globals() and not ('b' not in dir() or flag):\n    print(a, b)"
    assert reads(combined) == ["flag"]
    # A test inside a call checks nothing.
    assert reads("if check('a' in globals()):\n    print(a)") == ["check", "a"]


def test_loop_reads_of_names_the_cell_binds_later_do_not_count() -> None:
    source = "for epoch in range(3):\n    if epoch:\n        print(previous)\n    previous = epoch"
    assert reads(source) == []
    assert reads("for e in range(3):\n    print(unknown)") == ["unknown"]
    nested = "while True:\n    for e in range(3):\n        print(last)\n    last = e"
    assert reads(nested) == []


def test_a_loop_does_not_see_what_a_later_loop_binds() -> None:
    """The first loop ends before the second starts: no iteration of it sees `ilag`."""
    source = "for i in range(3):\n    print(ilag)\nfor j in range(3):\n    ilag = j"
    assert reads(source) == ["ilag"]
    in_a_function = "for i in range(2):\n    def f():\n        for k in x:\n            pass\n"
    assert reads(in_a_function + "    print(n)\n    n = i") == []


def test_ipython_magic_bindings() -> None:
    assert binds("files = !ls\n%time result = run()") == {"files", "result"}
    assert binds("%%capture captured\nprint(1)") == {"captured"}
    assert reads("%time result = run(data)") == ["run", "data"]


def test_always_defined_names() -> None:
    for name in (
        "print",
        "In",
        "Out",
        "_",
        "__",
        "___",
        "_3",
        "_i3",
        "_ih",
        "display",
        "get_ipython",
        "__IPYTHON__",
    ):
        assert always_defined(name)
    for name in ("__file__", "df", "_x"):
        assert not always_defined(name)


def test_annotation_only_and_odd_nodes_do_not_crash() -> None:
    assert reads("x: int\nasync def f():\n    async with a as b:\n        await b\n") == []
    assert reads("print(f'{value!r:>{width}}')") == ["value", "width"]
    assert reads("type(x)[0]: int = 1") == ["x"]


def test_read_positions_are_the_first_read() -> None:
    flow = cell_flow(parse_source("a = 1\nprint(b, b)\nc = b"))
    read = flow.reads["b"]
    assert (read.row, read.column, read.end_row, read.end_column) == (2, 7, 2, 8)


def test_calls_count_the_function_globals_at_the_call() -> None:
    flow = dataflow(
        "def helper():\n    return threshold * scale()",
        "def scale():\n    return factor",
        "threshold = 1\nresult = helper()",
    )
    third = flow.cells[2]
    assert [(read.name, read.via) for read in third.reads if not always_defined(read.name)] == [
        ("helper", None),
        ("scale", "helper"),
        ("factor", "helper"),
    ]
    assert (third.reads[0].row, third.reads[0].column) == (2, 10)


def test_names_bound_after_the_call_are_read_from_the_namespace() -> None:
    flow = dataflow("def f():\n    return late", "f()\nlate = 1")
    assert [(read.name, read.via) for read in flow.cells[1].reads] == [("f", None), ("late", "f")]


def test_calling_a_function_with_global_binds_the_name() -> None:
    flow = dataflow("def setup():\n    global config\n    config = {}", "setup()", "config")
    assert "config" in flow.cells[1].binds
    assert flow.binders["config"] == [flow.cells[1]]


def test_a_call_binds_the_function_globals_where_it_runs() -> None:
    reset = "def reset():\n    global sess\n    sess = 1"
    earlier_in_the_cell = dataflow(reset, "reset()\nprint(sess)")
    assert [read.name for read in earlier_in_the_cell.cells[1].reads] == ["reset", "print"]
    after_the_read = dataflow(reset, "print(sess)\nreset()")
    assert "sess" in {read.name for read in after_the_read.cells[1].reads}
    defined_and_called = dataflow(reset + "\nreset()", "print(sess)")
    assert defined_and_called.binders["sess"] == [defined_and_called.cells[0]]
    defined_only = dataflow(reset, "print(sess)")
    assert "sess" not in defined_only.binders


def test_binds_through_calls_are_transitive_and_ordered() -> None:
    flow = dataflow(
        "def reset():\n    global sess\n    sess = 1",
        "def init():\n    reset()",
        "def run():\n    return sess",
        "init()\nrun()",
        "run()\ninit()",
    )
    assert [read.name for read in flow.cells[3].reads] == ["init", "reset", "run"]
    assert "sess" in flow.cells[3].binds
    assert [(read.name, read.via) for read in flow.cells[4].reads] == [
        ("run", None),
        ("sess", "run"),
        ("init", None),
        ("reset", "init"),
    ]


def test_a_call_runs_the_definition_the_namespace_holds_then() -> None:
    flow = dataflow(
        "def f():\n    return old",
        "f()\ndef f():\n    return new\nf()",
    )
    assert [(read.name, read.via) for read in flow.cells[1].reads] == [
        ("f", None),
        ("old", "f"),
    ]


def test_a_call_follows_the_functions_defined_since_an_earlier_call() -> None:
    flow = dataflow("def g():\n    return helper()", "g()", "def helper():\n    return x", "g()")
    assert [(read.name, read.via) for read in flow.cells[3].reads] == [
        ("g", None),
        ("helper", "g"),
        ("x", "g"),
    ]


def test_class_call_counts_the_constructor() -> None:
    flow = dataflow(
        "class Trainer:\n    def __init__(self):\n        self.lr = lr\n    def fit(self):\n        return epochs",
        "t = Trainer()",
    )
    assert [(r.name, r.via) for r in flow.cells[1].reads] == [("Trainer", None), ("lr", "Trainer")]


def test_recursive_functions_terminate() -> None:
    flow = dataflow("def a():\n    return b() + x", "def b():\n    return a() + y", "a()")
    assert {read.name for read in flow.cells[2].reads} == {"a", "b", "x", "y"}


def test_top_to_bottom_provenance() -> None:
    flow = dataflow("x = 1", "x = 2\ny = 1", "del y", "print(x, y)")
    provenance = {p.read.name: p for p in flow.top_to_bottom() if p.cell is flow.cells[3]}
    assert provenance["x"].source is flow.cells[1]
    assert provenance["y"].source is None and provenance["y"].deleted_by is flow.cells[2]


def test_star_import_above_hides_unbound_reads() -> None:
    flow = dataflow("print(a)", "from m import *", "print(b)")
    assert [p.read.name for p in flow.top_to_bottom()] == ["a"]
    assert flow.binds_unknown


def test_syntax_error_cells_may_bind_anything() -> None:
    flow = dataflow("x = (", "print(x)")
    assert flow.binds_unknown


STDLIB_MODULES = [
    "ast", "calendar", "dataclasses", "difflib", "enum", "functools", "glob", "inspect", "pprint",
    "shutil", "statistics", "tokenize", "typing", "zipfile", "subprocess", "tempfile",
]  # fmt: skip
SCOPES_NOT_DEFINED_BY_DEF = {"lambda", "listcomp", "setcomp", "dictcomp", "genexpr"}


def symtable_globals(table) -> set[str]:
    """Globals a function reads, by CPython's symbol table: its own and its nested scopes'."""
    names = {
        symbol.get_name()
        for symbol in table.get_symbols()
        if symbol.is_referenced() and symbol.is_global()
    }
    for child in table.get_children():
        names |= symtable_globals(child)
    return names


def has_nested_class(table) -> bool:
    return any(
        child.get_type() == "class" or has_nested_class(child) for child in table.get_children()
    )


@pytest.mark.parametrize("module", STDLIB_MODULES)
def test_function_globals_agree_with_cpython_symtable(module: str) -> None:
    """Real code, every top-level function: the globals we say it reads when called are those
    CPython's compiler resolves as global. Left out: functions defined more than once (the
    summary merges the definitions) and functions holding a class, whose methods we do not count
    as run by the call."""
    import importlib.util
    import symtable
    from collections import Counter

    path = importlib.util.find_spec(module).origin
    source = Path(path).read_text(encoding="utf-8")
    functions = [
        t
        for t in symtable.symtable(source, path, "exec").get_children()
        if t.get_type() == "function"
    ]
    counts = Counter(table.get_name() for table in functions)
    summaries = cell_flow(parse_source(source)).functions
    compared = 0
    for table in functions:
        if (
            counts[table.get_name()] > 1
            or has_nested_class(table)
            or table.get_name() in SCOPES_NOT_DEFINED_BY_DEF
        ):
            continue
        assert set(summaries[table.get_name()].reads) == symtable_globals(table), table.get_name()
        compared += 1
    assert compared >= 5
