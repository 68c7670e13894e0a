"""NBD303 on calls that draw nothing as written: judged false in audits of real notebooks."""

from __future__ import annotations

import pytest

from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.rules import lookup
from tests.builders import code, notebook


def messages(*cells: str) -> list[str]:
    nb = notebook(*(code(source, count) for count, source in enumerate(cells, 1)))
    return [d.message for d in check(nb, Settings(), rules=[lookup("NBD303")])]


@pytest.mark.parametrize(
    ("data", "flagged"),
    [
        # GBM_drop_tree (hse-aml): a stump fitted on the training rows of one feature.
        ("X_all = np.random.randn(5000, 1)", False),
        ("X_all = df[['LSTAT']].values", False),
        ("X_all = np.random.randn(5000, 3)", True),
        ("X_all = df.drop(columns='y')", True),
    ],
)
def test_a_tree_fitted_on_the_split_rows_of_one_feature(data: str, flagged: bool) -> None:
    imports = (
        "import numpy as np\nfrom sklearn.tree import DecisionTreeClassifier\n"
        "from sklearn.model_selection import train_test_split"
    )
    split = (
        "X_train, X_test, y_train, y_test = train_test_split(X_all, y_all, test_size=0.5, "
        "random_state=42)"
    )
    fit = "clf = DecisionTreeClassifier(max_depth=1)\nclf.fit(X_train, y_train)"
    assert bool(messages(imports, data, split, fit)) == flagged
    # The test rows of the second array are not the first array's.
    other = "X_train, X_test = train_test_split(X_other, X_all, random_state=0)[2:]"
    assert len(messages(imports, data, other, fit)) == 1
    resampled = "from sklearn.utils import resample\nX_boot, y_boot = resample(X_all, y_all)"
    fit_boot = "clf = DecisionTreeClassifier(max_depth=1)\nclf.fit(X_boot, y_boot)"
    assert len(messages(imports, data, resampled, fit_boot)) == 1 + flagged


def test_an_estimator_made_only_to_show_it_draws_nothing() -> None:
    # ch04 of rasbt's book (3rd edition): `LogisticRegression(penalty='l1')` alone in a cell.
    imports = "from sklearn.linear_model import LogisticRegression"
    assert messages(imports, "LogisticRegression(penalty='l1', solver='liblinear')") == []
    fitted = "LogisticRegression(penalty='l1', solver='liblinear').fit(X, y)"
    assert len(messages(imports, fitted)) == 1
    # A function's result shown is drawn all the same.
    split = "from sklearn.model_selection import train_test_split\ntrain_test_split(X, y)"
    assert len(messages(split)) == 1


@pytest.mark.parametrize(
    "call",
    [
        # randomized_svd's default seed was 0 until scikit-learn 1.2; AffinityPropagation's was
        # hard-coded 0 until 0.23 (and only breaks exact ties at machine precision since).
        "from sklearn import decomposition\nu, s, v = decomposition.randomized_svd(M, 5)",
        "from sklearn.utils.extmath import randomized_svd\nu, s, v = randomized_svd(M, 5)",
        "from sklearn.cluster import AffinityPropagation\nap = AffinityPropagation().fit(S)",
    ],
)
def test_a_seed_that_defaulted_to_a_fixed_one_is_not_asked_for(call: str) -> None:
    assert messages(call) == []


def test_a_tree_name_bound_anew_is_another_tree() -> None:
    # lab09 of Harvard's CS109A: `dtree` fitted on one feature in a loop, then on other data
    # as another tree in a later cell.
    imports = "import numpy as np\nfrom sklearn.tree import DecisionTreeRegressor"
    one = "xx = np.log(x).reshape(-1, 1)\nfor i in [1, 2]:\n    dtree = DecisionTreeRegressor(max_depth=i)\n    dtree.fit(xx, y)"
    other = "dtree = DecisionTreeRegressor(max_depth=3)\ndtree.fit(X_many, y)"
    assert [m.startswith("`DecisionTreeRegressor`") for m in messages(imports, one, other)] == [
        True
    ]
    # Fitted on other data before it is bound anew, it is flagged.
    refit = "dtree.fit(X_many, y)"
    assert len(messages(imports, one, refit, other)) == 2
