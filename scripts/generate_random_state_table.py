"""Write nb_discipline/data/random_state.json, the table NBD303 (missing-random-state) reads.

    python scripts/generate_random_state_table.py [--output PATH]

It introspects the libraries installed where it runs: every public scikit-learn callable (the
estimators of `all_estimators()`, the model_selection splitters, and every public function) whose
signature has `random_state` defaulting to None, and, when they are installed, imbalanced-learn,
umap and PyMC (xgboost, lightgbm and catboost fall back to a fixed seed when given none: see
OTHER_LIBRARIES). Each entry is keyed by the public dotted path users import it from.

An entry may carry:
- `position`: where the seed argument may be passed positionally;
- `when`: conditions, when the callable is only random for some values of other arguments
  (`shuffle=True` for a splitter, `solver="saga"` for LogisticRegression). The signature gives each
  default and position; the values that make a call random are stated below, from the libraries'
  documentation of their `random_state` parameter and, for PCA, from `PCA._fit`;
- `global`: the library whose global generator the callable draws from when given no seed
  (scikit-learn's `check_random_state(None)` is NumPy's global RandomState), so that seeding it
  above makes the call the same on every run;
- `template`: the arguments holding an estimator the callable clones and re-seeds (it sets every
  `random_state` of each clone, as Bagging and AdaBoost do); found by fitting each meta-estimator
  with an unseeded decision tree and reading its fitted clones.

Legacy modules that old notebooks import (`sklearn.cross_validation`, ...) get their modern
counterparts' entries, with the old positional signatures where they differ. Method entries
(`module:method`) are for methods of objects the module makes: `dist.sample()` on a TensorFlow
Probability distribution. Re-run after upgrading the libraries and commit the result.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import re
import warnings
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "nb_discipline" / "data" / "random_state.json"

# `random_state` is documented as used only for these values of another argument. Each condition
# is {argument: {"random": [values]}} or {argument: {"deterministic": [values]}}; a call is random
# when any condition holds for the argument's literal value (or its default).
SKLEARN_CONDITIONS: dict[str, dict[str, dict[str, list[Any]]]] = {
    # liblinear draws only in its dual or L1 solvers; its primal L2 solver (the default penalty)
    # is deterministic. A dual or an L1/elastic-net penalty is only solved by liblinear or saga.
    "LogisticRegression": {
        "solver": {"random": ["sag", "saga"]},
        "dual": {"random": [True]},
        "penalty": {"random": ["l1", "elasticnet"]},
        "l1_ratio": {"deterministic": [0, 0.0, None]},
    },
    "LogisticRegressionCV": {
        "solver": {"random": ["sag", "saga"]},
        "dual": {"random": [True]},
        "penalty": {"random": ["l1", "elasticnet"]},
    },
    # solver="auto" only picks "sag" for sparse input with an intercept.
    "Ridge": {"solver": {"random": ["sag", "saga"]}},
    "RidgeClassifier": {"solver": {"random": ["sag", "saga"]}},
    "ridge_regression": {"solver": {"random": ["sag", "saga"]}},
    "SVC": {"probability": {"random": [True]}},
    "NuSVC": {"probability": {"random": [True]}},
    "Lasso": {"selection": {"random": ["random"]}},
    "LassoCV": {"selection": {"random": ["random"]}},
    "ElasticNet": {"selection": {"random": ["random"]}},
    "ElasticNetCV": {"selection": {"random": ["random"]}},
    "MultiTaskLasso": {"selection": {"random": ["random"]}},
    "MultiTaskLassoCV": {"selection": {"random": ["random"]}},
    "MultiTaskElasticNet": {"selection": {"random": ["random"]}},
    "MultiTaskElasticNetCV": {"selection": {"random": ["random"]}},
    # svd_solver="auto" picks "full" or "covariance_eigh" for a fractional or None n_components,
    # and "randomized" or "arpack" only from the data's shape or sparsity, which a reading of the
    # code cannot know: only an explicit choice makes the call random for sure.
    "PCA": {"svd_solver": {"random": ["randomized", "arpack"]}},
    # eigen_solver="auto" too picks arpack or randomized from the data's size.
    "KernelPCA": {"eigen_solver": {"random": ["arpack", "randomized"]}},
    "LocallyLinearEmbedding": {"eigen_solver": {"random": ["arpack"]}},
    "locally_linear_embedding": {"eigen_solver": {"random": ["arpack"]}},
    # dual="auto" picks the primal (not random) when there are more samples than features.
    "LinearSVC": {"dual": {"random": [True]}},
    "LinearSVR": {"dual": {"random": [True]}},
    "DummyClassifier": {"strategy": {"random": ["stratified", "uniform"]}},
    "GaussianProcessRegressor": {"n_restarts_optimizer": {"deterministic": [0]}},
    "GaussianProcessClassifier": {"n_restarts_optimizer": {"deterministic": [0]}},
    "silhouette_score": {"sample_size": {"deterministic": [None]}},
    "Lars": {"jitter": {"deterministic": [None]}},
    "LassoLars": {"jitter": {"deterministic": [None]}},
    # init=None picks the deterministic "nndsvda" unless there are more components than features.
    "NMF": {"init": {"random": ["random", "nndsvdar"]}},
    "MiniBatchNMF": {"init": {"random": ["random", "nndsvdar"]}},
    "non_negative_factorization": {"init": {"random": ["random", "nndsvdar"]}},
    "HalvingGridSearchCV": {"resource": {"deterministic": ["n_samples"]}},
    # random_state only draws the subsample of a fit on more rows than `subsample` (200,000 by
    # default): the data's size, which a reading of the code cannot know, decides.
    "KBinsDiscretizer": {"subsample": {"deterministic": [None, 200_000]}},
    # init="pca" (the default since 1.2) starts from a deterministic PCA; only a random start
    # draws.
    "TSNE": {"init": {"random": ["random"]}},
    "ClassifierChain": {"order": {"random": ["random"]}},
    "RegressorChain": {"order": {"random": ["random"]}},
    "extract_patches_2d": {"max_patches": {"deterministic": [None]}},
    "PatchExtractor": {"max_patches": {"deterministic": [None]}},
    "IterativeImputer": {
        "n_nearest_features": {"deterministic": [None]},
        "imputation_order": {"random": ["random"]},
        "sample_posterior": {"random": [True]},
    },
}
# Where `shuffle=False` removes all randomness: splitters, train_test_split, the linear models
# trained by SGD (their weights start at zero) and the dataset fetchers. Elsewhere (MLP, the
# make_* generators) a shuffle argument is one source of randomness among others.
SHUFFLE_ONLY_MODULES = ("sklearn.model_selection", "sklearn.linear_model")

# Libraries outside scikit-learn: module -> seed arguments, the first named in messages. Only those
# whose seed argument defaults to fresh randomness belong here: xgboost (seed 0), lightgbm (fixed
# C++ default seeds) and catboost (random_seed 0) are reproducible when given no seed, so flagging
# them would be a false alarm; umap's random_state=None is not reproducible.
# module -> (seed arguments, the global generator used when given none, names to leave out).
# imbalanced-learn seeds through scikit-learn's check_random_state (NumPy's global generator);
# umap given no seed runs its optimisation in parallel threads, which no global seed makes
# repeatable; PyMC 4 and later draw a fresh seed (`np.random.default_rng(None)`); its plots are
# not results.
# A seed that defaulted to a fixed one in versions notebooks still run: `randomized_svd`'s was 0
# until scikit-learn 1.2, AffinityPropagation's hard-coded 0 until 0.23 (its random_state only
# adds noise at machine precision to break exact ties). Which version a notebook ran is not in
# the notebook: called without a seed, it may have repeated as written.
FORMERLY_FIXED = re.compile(r"changed from \d+ to None|previously hard-?coded as \d+")
OTHER_LIBRARIES: dict[str, tuple[tuple[str, ...], str | None, str]] = {
    "imblearn": (("random_state",), "numpy", ""),
    "umap": (("random_state",), None, ""),
    "pymc": (("random_seed",), None, "plot_"),
}
# Stated from the libraries' sources, for what cannot be installed beside the rest.
# PyMC3 (`import pymc3`, before PyMC 4) draws each chain's seed from NumPy's global generator
# (`np.random.randint`) when given no random_seed; TensorFlow Probability's samplers given
# seed=None draw from TensorFlow's global generator, seeded by `tf.random.set_seed` (its JAX and
# NumPy substrates require a seed, so they are not listed).
STATED: dict[str, dict[str, Any]] = {
    "pymc3.sample": {"parameters": ["random_seed"], "global": "numpy"},
    "pymc3.sample_posterior_predictive": {"parameters": ["random_seed"], "global": "numpy"},
    "pymc3.sample_prior_predictive": {"parameters": ["random_seed"], "global": "numpy"},
    "tensorflow_probability.distributions:sample": {
        "parameters": ["seed"],
        "position": 1,
        "global": "tensorflow",
    },
    "tensorflow_probability.mcmc.sample_chain": {
        "parameters": ["seed"],
        "position": 9,
        "global": "tensorflow",
    },
}
# Modules that old notebooks import, removed from scikit-learn, and the modules that took over
# their names. The old splitters took their data's size first, so the shuffle and random_state
# of `KFold(n, n_folds=3, shuffle=False, random_state=None)` (scikit-learn 0.17) sit elsewhere.
LEGACY_NAMES = {
    "sklearn.cross_validation": {
        "train_test_split": "sklearn.model_selection.train_test_split",
        "KFold": "sklearn.model_selection.KFold",
        "StratifiedKFold": "sklearn.model_selection.StratifiedKFold",
        "ShuffleSplit": "sklearn.model_selection.ShuffleSplit",
        "StratifiedShuffleSplit": "sklearn.model_selection.StratifiedShuffleSplit",
        "LabelShuffleSplit": "sklearn.model_selection.GroupShuffleSplit",
    },
    "sklearn.grid_search": {
        "RandomizedSearchCV": "sklearn.model_selection.RandomizedSearchCV",
        "ParameterSampler": "sklearn.model_selection.ParameterSampler",
    },
    "sklearn.learning_curve": {"learning_curve": "sklearn.model_selection.learning_curve"},
    # every make_* generator of sklearn.datasets, added by legacy_table
    "sklearn.datasets.samples_generator": {},
}
LEGACY_POSITIONS = {
    "sklearn.cross_validation.KFold": {"position": 3, "shuffle": 2},
    "sklearn.cross_validation.StratifiedKFold": {"position": 3, "shuffle": 2},
    "sklearn.cross_validation.ShuffleSplit": {"position": 4},
    "sklearn.cross_validation.StratifiedShuffleSplit": {"position": 4},
    "sklearn.cross_validation.LabelShuffleSplit": {"position": 4},
    "sklearn.grid_search.RandomizedSearchCV": {"position": 11},
    "sklearn.grid_search.ParameterSampler": {"position": 2},
}
# The estimator argument's name before scikit-learn 1.2 (`BaggingClassifier(base_estimator=...)`).
LEGACY_TEMPLATE = "base_estimator"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    table: dict[str, dict[str, Any]] = {}
    versions: dict[str, str] = {}
    sklearn_table(table, versions)
    legacy_table(table)
    for module_name, (parameters, global_generator, left_out) in OTHER_LIBRARIES.items():
        other_library_table(module_name, parameters, global_generator, left_out, table, versions)
    table.update(STATED)
    document = {
        "generated_by": "scripts/generate_random_state_table.py",
        "libraries": dict(sorted(versions.items())),
        "callables": dict(sorted(table.items())),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", "utf-8")
    print(f"wrote {len(table)} callables to {args.output} from {versions}")


def sklearn_table(table: dict[str, dict[str, Any]], versions: dict[str, str]) -> None:
    import sklearn
    from sklearn.experimental import enable_halving_search_cv, enable_iterative_imputer  # noqa: F401
    from sklearn.utils import all_estimators

    versions["scikit-learn"] = sklearn.__version__
    found_estimators = set()
    templates: dict[type, dict[str, Any] | None] = {}
    for module_name in public_modules(sklearn):
        module = importlib.import_module(module_name)
        for name in public_names(module):
            target = getattr(module, name, None)
            if not callable(target) or not getattr(target, "__module__", "").startswith("sklearn"):
                continue
            entry = entry_for(target, ("random_state",))
            if entry is None:
                continue
            stated = dict(SKLEARN_CONDITIONS.get(name, {}))
            shuffle_only = module_name.startswith(SHUFFLE_ONLY_MODULES) or name.startswith("fetch_")
            if "shuffle" in parameters_of(target) and shuffle_only:
                stated["shuffle"] = {"random": [True]}
            entry["when"] = conditions(target, stated)
            if not entry["when"]:
                del entry["when"]
            entry["global"] = "numpy"
            if inspect.isclass(target):
                found_estimators.add(target)
                if target not in templates:
                    templates[target] = reseeds_its_template(target)
                if templates[target]:
                    entry["template"] = templates[target]
            table[f"{module_name}.{name}"] = entry
    missing = [
        cls.__name__
        for _, cls in all_estimators()
        if entry_for(cls, ("random_state",)) is not None and cls not in found_estimators
    ]
    if missing:
        raise SystemExit(f"estimators with random_state not found under a public path: {missing}")


def reseeds_its_template(estimator: type) -> dict[str, Any] | None:
    """The template argument of a meta-estimator that re-seeds its clones, or None.

    Fits it with `random_state=0` and an unseeded decision tree as its template, then reads the
    fitted clones: when every one has an integer random_state, the template's own seed never
    matters. Estimators that cannot be fitted this way are taken not to re-seed."""
    from sklearn.base import ClassifierMixin
    from sklearn.datasets import make_classification
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    parameters = parameters_of(estimator)
    if "estimator" not in parameters:
        return None
    classifier = issubclass(estimator, ClassifierMixin)
    template = DecisionTreeClassifier() if classifier else DecisionTreeRegressor()
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    options: dict[str, Any] = {"estimator": template, "random_state": 0}
    if "n_estimators" in parameters:
        options["n_estimators"] = 3
    try:
        fitted = estimator(**options).fit(X, y)
    except Exception:  # needs other arguments or data: not known to re-seed
        return None
    clones = getattr(fitted, "estimators_", None) or []
    seeds = [
        value
        for clone in clones
        for key, value in clone.get_params(deep=True).items()
        if key == "random_state" or key.endswith("__random_state")
    ]
    if not seeds or not all(isinstance(seed, int) for seed in seeds):
        return None
    positional = positional_names(parameters)
    entry: dict[str, Any] = {"parameters": ["estimator", LEGACY_TEMPLATE]}
    if "estimator" in positional:
        entry["position"] = positional.index("estimator")
    return entry


def legacy_table(table: dict[str, dict[str, Any]]) -> None:
    """Entries for the names of the removed modules, from their modern counterparts'."""
    generators = {
        name.rpartition(".")[2]: name for name in table if name.startswith("sklearn.datasets.make_")
    }
    LEGACY_NAMES["sklearn.datasets.samples_generator"].update(generators)
    for old_module, names in LEGACY_NAMES.items():
        for old, modern in names.items():
            old_name = f"{old_module}.{old}"
            entry = json.loads(json.dumps(table[modern]))  # a copy: legacy positions differ
            positions = LEGACY_POSITIONS.get(old_name)
            if positions is not None:
                entry["position"] = positions["position"]
                if "shuffle" in positions:
                    entry["when"]["shuffle"]["position"] = positions["shuffle"]
            table[old_name] = entry


def other_library_table(
    module_name: str,
    seed_parameters: tuple[str, ...],
    global_generator: str | None,
    left_out: str,
    table: dict[str, dict[str, Any]],
    versions: dict[str, str],
) -> None:
    try:
        package = importlib.import_module(module_name)
    except Exception as error:  # not installed, or broken: the table simply lacks it
        print(f"skipping {module_name}: {type(error).__name__}: {error}")
        return
    versions[module_name] = getattr(package, "__version__", "unknown")
    templates: dict[Any, dict[str, Any] | None] = {}
    for submodule in public_modules(package):
        try:
            module = importlib.import_module(submodule)
        except Exception:
            continue
        for name in public_names(module):
            target = getattr(module, name, None)
            if not callable(target) or (left_out and name.startswith(left_out)):
                continue
            if not getattr(target, "__module__", "").startswith(module_name):
                continue
            entry = entry_for(target, seed_parameters)
            if entry is None:
                continue
            if global_generator is not None:
                entry["global"] = global_generator
            if inspect.isclass(target) and "estimator" in parameters_of(target):
                if target not in templates:
                    templates[target] = reseeds_its_template(target)
                if templates[target]:
                    entry["template"] = templates[target]
            table[f"{submodule}.{name}"] = entry


def public_modules(package: Any) -> list[str]:
    names = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        parts = info.name.split(".")
        if any(
            part.startswith("_") or part in {"tests", "externals", "conftest"} for part in parts
        ):
            continue
        names.append(info.name)
    return names


def public_names(module: Any) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in dir(module) if not name.startswith("_")]
    return sorted(names)


def parameters_of(target: Any) -> dict[str, inspect.Parameter]:
    """The named parameters of a function, or of a class's constructor along its bases (for
    wrappers such as XGBClassifier(**kwargs) that pass arguments on to a base class)."""
    functions = [target] if not inspect.isclass(target) else [k.__init__ for k in target.__mro__]
    parameters: dict[str, inspect.Parameter] = {}
    for function in functions:
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            continue
        for name, parameter in signature.parameters.items():
            if name != "self" and parameter.kind not in (
                parameter.VAR_POSITIONAL,
                parameter.VAR_KEYWORD,
            ):
                parameters.setdefault(name, parameter)
        if not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            break
    return parameters


def entry_for(target: Any, seed_parameters: tuple[str, ...]) -> dict[str, Any] | None:
    parameters = parameters_of(target)
    present = [name for name in seed_parameters if name in parameters]
    if not present:
        return None
    first = parameters[present[0]]
    if first.default not in (None, inspect.Parameter.empty):
        return None  # a fixed default seed: calling without one is already reproducible
    if FORMERLY_FIXED.search(parameter_doc(target, first.name)):
        return None
    positional = positional_names(parameters)
    entry: dict[str, Any] = {"parameters": present}
    if first.name in positional:
        entry["position"] = positional.index(first.name)
    return entry


def parameter_doc(target: Any, name: str) -> str:
    """The numpydoc section of one parameter in a callable's docstring ("" when none)."""
    doc = inspect.getdoc(target) or ""
    found = re.search(rf"^{name} :.*?(?=^\w+ :|^\S[^\n]*\n-+$|\Z)", doc, re.M | re.S)
    return found.group(0) if found else ""


def positional_names(parameters: dict[str, inspect.Parameter]) -> list[str]:
    return [
        name
        for name, parameter in parameters.items()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]


def conditions(target: Any, stated: dict[str, dict[str, list[Any]]]) -> dict[str, Any]:
    parameters = parameters_of(target)
    positional = positional_names(parameters)
    result = {}
    for argument, values in stated.items():
        if argument not in parameters:
            raise SystemExit(f"{target.__name__} has no argument {argument!r} any more")
        default = parameters[argument].default
        result[argument] = {
            "default": None if default is inspect.Parameter.empty else default,
            **values,
        }
        if argument in positional:
            result[argument]["position"] = positional.index(argument)
    return result


if __name__ == "__main__":
    main()
