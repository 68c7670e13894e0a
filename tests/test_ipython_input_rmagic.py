"""rpy2's magics (and IPython's older rmagic): the Python names `%R`, `%%R` and `%Rpull` bind."""

from __future__ import annotations

import pytest

from nb_discipline.analysis.dataflow import cell_flow
from nb_discipline.analysis.source import parse_source
from nb_discipline.config import Settings
from nb_discipline.engine import check
from tests.builders import code, notebook


def bound(source: str) -> set[str]:
    return set(cell_flow(parse_source(source)).binds)


@pytest.mark.parametrize(
    ("source", "names"),
    [
        # `-o`/`--output`, repeated or comma-separated, as an argparse option takes its value.
        ("%R -o d -o e", {"d", "e"}),
        ("%R -o fit,coefs --output=summary x <- 1", {"fit", "coefs", "summary"}),
        ("%R --output fit -ocoefs", {"fit", "coefs"}),
        # IPython's own rmagic (before rpy2 took it over): `-d`/`--dataframe` bind too.
        ("%%R -i datapy -d datar\ndatar = datapy", {"datar"}),
        ("%R --dataframe=frame", {"frame"}),
        # An R name that is not a Python name binds nothing a cell can read.
        ("%R -o my.fit", set()),
        # `-i` sends Python objects to R; the R code binds nothing in Python.
        ("%R -i A\n%R mean(A)", set()),
        ("%%R -i X,Y\nXYlm = lm(Y~X)", set()),
        # `%Rpull x y` binds each name; `-d` (IPython's rmagic) is a flag there.
        ("%Rpull e", {"e"}),
        ("%Rpull -d datar2 x", {"datar2", "x"}),
        # `%Rget x` returns the value: only an assignment binds it.
        ("%Rget datar2", set()),
        ("y = %Rget x", {"y"}),
        ("b = %R a=resid(lm(Y~X))\n%R -o a", {"a", "b"}),
    ],
)
def test_r_magics_bind_what_they_push(source: str, names: set[str]) -> None:
    assert bound(source) == names


def test_a_name_pulled_from_r_is_bound_above_its_reads() -> None:
    # ipython-in-depth, "R Magics": `e` came from `%R -o d -o e` and `%Rpull e` (judged false).
    document = notebook(
        code("%load_ext rpy2.ipython", 1),
        code("%R d=resid(lm(Y~X)); e=coef(lm(Y~X))\n%R -o d -o e\n%Rpull e\nprint(d)\nprint(e)", 2),
        code("%R -n e", 3),
        code("e = 1", 4),
    )
    findings = check(document, Settings(select=["NBD201", "NBD202"]))
    assert [finding.symbol for finding in findings] == []
