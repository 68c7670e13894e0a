"""Write nb_discipline/data/random_state.json, the table NBD303 (missing-random-state) reads.

    python scripts/generate_random_state_table.py [--output PATH]

It introspects the libraries installed where it runs: every public scikit-learn callable (the
estimators of `all_estimators()`, the model_selection splitters, and every public function) whose
signature has `random_state` defaulting to None, and umap when it is installed (xgboost, lightgbm
and catboost fall back to a fixed seed when given none: see OTHER_LIBRARIES). Each entry is keyed
by the public dotted path users import it from.

An entry may carry conditions: the callable is only random for some values of other arguments
(`shuffle=True` for a splitter, `solver="saga"` for LogisticRegression). The signature gives each
default; the values that make a call random are stated below, from the libraries' documentation of
their `random_state` parameter. Re-run after upgrading the libraries and commit the result.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import warnings
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "nb_discipline" / "data" / "random_state.json"

# `random_state` is documented as used only for these values of another argument. Each condition
# is {argument: {"random": [values]}} or {argument: {"deterministic": [values]}}; a call is random
# when any condition holds for the argument's literal value (or its default).
SKLEARN_CONDITIONS: dict[str, dict[str, dict[str, list[Any]]]] = {
    "LogisticRegression": {"solver": {"random": ["sag", "saga", "liblinear"]}},
    "LogisticRegressionCV": {"solver": {"random": ["sag", "saga", "liblinear"]}},
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
    "PCA": {"svd_solver": {"deterministic": ["full", "covariance_eigh"]}},
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
OTHER_LIBRARIES = {
    "umap": ("random_state",),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    table: dict[str, dict[str, Any]] = {}
    versions: dict[str, str] = {}
    sklearn_table(table, versions)
    for module_name, parameters in OTHER_LIBRARIES.items():
        other_library_table(module_name, parameters, table, versions)
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
    for module_name in public_modules(sklearn):
        module = importlib.import_module(module_name)
        for name in public_names(module):
            target = getattr(module, name, None)
            if not callable(target) or not getattr(target, "__module__", "").startswith("sklearn"):
                continue
            entry = entry_for(target, ("random_state",))
            if entry is None:
                continue
            default_conditions = SKLEARN_CONDITIONS.get(name, {})
            entry["when"] = conditions(target, default_conditions)
            shuffle_only = module_name.startswith(SHUFFLE_ONLY_MODULES) or name.startswith("fetch_")
            if "shuffle" in parameters_of(target) and shuffle_only:
                entry["when"]["shuffle"] = {
                    "default": parameters_of(target)["shuffle"].default,
                    "random": [True],
                }
            if not entry["when"]:
                del entry["when"]
            table[f"{module_name}.{name}"] = entry
            if inspect.isclass(target):
                found_estimators.add(target)
    missing = [
        cls.__name__
        for _, cls in all_estimators()
        if entry_for(cls, ("random_state",)) is not None and cls not in found_estimators
    ]
    if missing:
        raise SystemExit(f"estimators with random_state not found under a public path: {missing}")


def other_library_table(
    module_name: str,
    seed_parameters: tuple[str, ...],
    table: dict[str, dict[str, Any]],
    versions: dict[str, str],
) -> None:
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # not installed, or broken: the table simply lacks it
        print(f"skipping {module_name}: {type(error).__name__}: {error}")
        return
    versions[module_name] = getattr(module, "__version__", "unknown")
    for name in public_names(module):
        target = getattr(module, name, None)
        if inspect.isclass(target):
            entry = entry_for(target, seed_parameters)
            if entry is not None:
                table[f"{module_name}.{name}"] = entry


def public_modules(package: Any) -> list[str]:
    names = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        parts = info.name.split(".")
        if any(part.startswith("_") or part in {"tests", "externals"} for part in parts):
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
    positional = [
        name
        for name, parameter in parameters.items()
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    entry: dict[str, Any] = {"parameters": present}
    if first.name in positional:
        entry["position"] = positional.index(first.name)
    return entry


def conditions(target: Any, stated: dict[str, dict[str, list[Any]]]) -> dict[str, Any]:
    parameters = parameters_of(target)
    result = {}
    for argument, values in stated.items():
        if argument not in parameters:
            raise SystemExit(f"{target.__name__} has no argument {argument!r} any more")
        default = parameters[argument].default
        result[argument] = {
            "default": None if default is inspect.Parameter.empty else default,
            **values,
        }
    return result


if __name__ == "__main__":
    main()
