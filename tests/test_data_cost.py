"""What NBD502 skips to stay cheap must not cost a finding: a notebook without `//` in any cell
has no URL to judge, and a URL split over two literals still has one."""

from __future__ import annotations

from nb_discipline.engine import check
from nb_discipline.rules import lookup
from tests.builders import code, notebook


def nbd502(*sources: str) -> list[str | None]:
    cells = [code(source, index) for index, source in enumerate(sources, start=1)]
    return [finding.symbol for finding in check(notebook(*cells), rules=[lookup("NBD502")])]


def test_a_url_split_over_two_literals_is_judged() -> None:
    source = (
        "import pandas as pd\n"
        'url = ("https:" "//raw.githubusercontent.com/o/r/master/x.csv")\n'
        "pd.read_csv(url)"
    )
    assert nbd502(source) == ["https://raw.githubusercontent.com/o/r/master/x.csv"]


def test_a_url_bound_in_another_cell_is_judged() -> None:
    assert nbd502(
        'URL = "https://raw.githubusercontent.com/o/r/main/x.csv"',
        "import pandas as pd\nframe = pd.read_csv(URL)",
    ) == ["https://raw.githubusercontent.com/o/r/main/x.csv"]


def test_a_notebook_without_a_url_has_no_finding() -> None:
    assert nbd502("import pandas as pd\nframe = pd.read_csv('data/x.csv')") == []
