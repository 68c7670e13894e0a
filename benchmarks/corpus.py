"""Generate a corpus of realistic data-science notebooks for the linter benchmarks.

    python benchmarks/corpus.py [DIR] [--count 1000] [--total-mb 400] [--seed 0]

Each notebook has 20-200 cells: markdown, and code that looks like real work (pandas loading and
cleaning, seaborn/matplotlib plots, scikit-learn training and evaluation, a PyTorch model and its
training loop, helper functions and classes, `%matplotlib inline`, `!pip install`, `%%time`,
`%timeit`, `!ls`), with the outputs Jupyter saves: stdout streams, DataFrame reprs as text/html
tables, estimator reprs, and plots as base64 PNG images, which is where most of the bytes are.
Most notebooks ran top to bottom; some ran out of order, some have gaps in their execution counts,
a few hold an error output, and some are saved stripped (no counts, no outputs).

The output is a pure function of the seed: notebook i is drawn from its own generator, so the same
arguments always write the same bytes. Files are written as Jupyter writes them (JSON, indent 1,
sorted keys, nbformat 4.5 with cell ids) into ten sub-folders of 100 notebooks under a project
root whose pyproject.toml declares what they import; `part-00/` alone is the 100-notebook sample
the memory benchmark uses.

PNG images are valid PNG files whose pixels are noise: a linter never decodes them, only the size
and the base64 encoding matter, and noise is as incompressible as a real plot's deflate stream.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import struct
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field

DATASETS = {
    "sales": (["revenue", "units", "discount", "price"], ["region", "channel"], "churned"),
    "customers": (["age", "income", "tenure", "balance"], ["segment", "country"], "churn"),
    "housing": (["sqft", "bedrooms", "lot_size", "year_built"], ["zipcode", "style"], "expensive"),
    "sensor": (["temperature", "pressure", "vibration", "rpm"], ["machine", "line"], "failure"),
    "clicks": (["dwell_time", "position", "ctr", "impressions"], ["device", "browser"], "clicked"),
    "reviews": (["length", "stars", "helpful_votes", "sentiment"], ["category", "brand"], "fake"),
    "transactions": (
        ["amount", "hour", "velocity", "distance"],
        ["merchant", "card_type"],
        "fraud",
    ),
    "weather": (
        ["humidity", "wind_speed", "rainfall", "pressure_hpa"],
        ["station", "season"],
        "storm",
    ),
    "inventory": (["stock", "lead_time", "demand", "cost"], ["warehouse", "supplier"], "stockout"),
    "patients": (
        ["bmi", "glucose", "blood_pressure", "age_years"],
        ["clinic", "sex"],
        "readmitted",
    ),
}

# Notes between the steps of an analysis: about a third of all cells end up markdown.
MARKDOWN_BETWEEN_STEPS = 0.3

WORDS = [
    "the",
    "data",
    "model",
    "feature",
    "training",
    "validation",
    "results",
    "baseline",
    "we",
    "look",
    "at",
    "distribution",
    "of",
    "missing",
    "values",
    "outliers",
    "target",
    "correlation",
    "performance",
    "metric",
    "improve",
    "split",
    "test",
    "check",
    "pipeline",
    "experiment",
    "notice",
    "column",
    "seems",
    "better",
    "worse",
    "than",
    "expected",
    "next",
    "step",
    "clean",
]


@dataclass
class Context:
    """What one section of a notebook works on: the dataset, its frame, its model."""

    name: str
    numeric: list[str]
    categorical: list[str]
    target: str
    frame: str
    model_class: str


@dataclass
class Plan:
    """The cells of one notebook before outputs are sized: (cell_type, source, output kinds)."""

    cells: list[tuple[str, str, list[tuple]]] = field(default_factory=list)

    def code(self, source: str, *outputs: tuple) -> None:
        self.cells.append(("code", source, list(outputs)))

    def markdown(self, source: str) -> None:
        self.cells.append(("markdown", source, []))


# ---------------------------------------------------------------------------------------- outputs


def png(rng: random.Random, size: int) -> str:
    """A valid PNG of about `size` bytes (noise pixels), base64-encoded as Jupyter stores it."""
    width = rng.randint(320, 1000)
    if size < width * 3:
        width = 1
    stride = width * 3 + 1
    height = max(1, round(size / stride))
    raw = bytearray(rng.randbytes(height * stride))
    raw[::stride] = bytes(height)  # filter type 0 on every scanline
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 0))
        + _chunk(b"IEND", b"")
    )
    return base64.b64encode(data).decode("ascii") + "\n"


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def html_table(rng: random.Random, columns: list[str], rows: int) -> str:
    head = "".join(f"      <th>{column}</th>\n" for column in columns)
    body = []
    for row in range(rows):
        cells = "".join(f"      <td>{rng.uniform(-1e3, 1e4):.4f}</td>\n" for _ in columns)
        body.append(f"    <tr>\n      <th>{row}</th>\n{cells}    </tr>\n")
    return (
        "<div>\n<style scoped>\n    .dataframe tbody tr th:only-of-type {\n"
        "        vertical-align: middle;\n    }\n\n    .dataframe tbody tr th {\n"
        "        vertical-align: top;\n    }\n\n    .dataframe thead th {\n"
        "        text-align: right;\n    }\n</style>\n"
        '<table border="1" class="dataframe">\n  <thead>\n    <tr style="text-align: right;">\n'
        f"      <th></th>\n{head}    </tr>\n  </thead>\n  <tbody>\n{''.join(body)}"
        f"  </tbody>\n</table>\n<p>{rows} rows × {len(columns)} columns</p>\n</div>"
    )


def text_table(rng: random.Random, columns: list[str], rows: int) -> str:
    lines = ["      " + "  ".join(f"{column:>12}" for column in columns)]
    for row in range(rows):
        values = "  ".join(f"{rng.uniform(-1e3, 1e4):>12.4f}" for _ in columns)
        lines.append(f"{row:<6}{values}")
    return "\n".join(lines)


def _lines(text: str) -> list[str]:
    """nbformat's multiline string: a list of lines, each keeping its newline."""
    return text.splitlines(keepends=True)


def render_output(rng: random.Random, kind: tuple, count: int | None, image_bytes: int) -> dict:
    tag = kind[0]
    if tag == "stream":
        return {"name": kind[1], "output_type": "stream", "text": _lines(kind[2])}
    if tag == "text":
        return {
            "data": {"text/plain": _lines(kind[1])},
            "execution_count": count,
            "metadata": {},
            "output_type": "execute_result",
        }
    if tag == "table":
        columns, rows = kind[1], kind[2]
        return {
            "data": {
                "text/html": _lines(html_table(rng, columns, rows)),
                "text/plain": _lines(text_table(rng, columns, rows)),
            },
            "execution_count": count,
            "metadata": {},
            "output_type": "execute_result",
        }
    if tag == "image":
        return {
            "data": {"image/png": png(rng, image_bytes), "text/plain": [kind[1]]},
            "metadata": {},
            "output_type": "display_data",
        }
    if tag == "error":
        name, value = kind[1], kind[2]
        frames = [
            "\x1b[0;31m---------------------------------------------------------------------------"
            "\x1b[0m",
            f"\x1b[0;31m{name}\x1b[0m                                  Traceback (most recent call"
            " last)",
            f"Cell \x1b[0;32mIn[{count or 0}], line 2\x1b[0m\n\x1b[1;32m----> 2\x1b[0m result "
            "\x1b[38;5;241m=\x1b[39m compute()\n",
            f"\x1b[0;31m{name}\x1b[0m: {value}",
        ]
        return {"ename": name, "evalue": value, "output_type": "error", "traceback": frames}
    raise ValueError(f"unknown output kind {tag!r}")


# ------------------------------------------------------------------------------------------ cells


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _markdown(rng: random.Random, title: str | None = None) -> str:
    parts = []
    if title:
        parts.append(f"## {title}\n")
    for _ in range(rng.randint(1, 3)):
        parts.append(" ".join(_sentence(rng, rng.randint(6, 18)) for _ in range(rng.randint(1, 4))))
    if rng.random() < 0.3:
        parts.append("\n".join(f"- {_sentence(rng, rng.randint(3, 9))}" for _ in range(3)))
    if rng.random() < 0.1:
        parts.append(r"$$\hat{y} = \sigma(w^\top x + b)$$")
    return "\n\n".join(parts)


def _context(rng: random.Random) -> Context:
    name = rng.choice(sorted(DATASETS))
    numeric, categorical, target = DATASETS[name]
    frame = rng.choice(("df", f"df_{name}", f"{name}_df", name, "data"))
    model_class = rng.choice(
        ("RandomForestClassifier", "GradientBoostingClassifier", "LogisticRegression")
    )
    return Context(name, list(numeric), list(categorical), target, frame, model_class)


def _imports(rng: random.Random) -> str:
    lines = []
    if rng.random() < 0.7:
        lines.append("%matplotlib inline")
    lines += [
        "import os",
        "import warnings",
        "",
        "import matplotlib.pyplot as plt",
        "import numpy as np",
        "import pandas as pd",
    ]
    if rng.random() < 0.6:
        lines.append("import seaborn as sns")
    lines += [
        "from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier",
        "from sklearn.linear_model import LogisticRegression",
        "from sklearn.metrics import accuracy_score, classification_report, roc_auc_score",
        "from sklearn.model_selection import GridSearchCV, train_test_split",
    ]
    if rng.random() < 0.5:
        lines += ["import torch", "import torch.nn as nn"]
    if rng.random() < 0.2:
        lines.append("import json  # unused: a finding for ruff's F401")
    lines += ["", 'warnings.filterwarnings("ignore")']
    return "\n".join(lines)


def _config(rng: random.Random) -> str:
    lines = ['DATA_DIR = os.environ.get("DATA_DIR", "data")', f"SEED = {rng.choice((0, 7, 42))}"]
    if rng.random() < 0.6:
        lines.append("np.random.seed(SEED)")
    if rng.random() < 0.3:
        lines.append('pd.set_option("display.max_columns", 50)')
    return "\n".join(lines)


def _section(plan: Plan, rng: random.Random, ctx: Context, imports: str) -> None:
    """One analysis of one dataset, as a random selection of the steps people take."""
    frame, name, numeric, categorical = ctx.frame, ctx.name, ctx.numeric, ctx.categorical
    column = rng.choice(numeric)
    category = rng.choice(categorical)
    columns = [*numeric, *categorical, ctx.target]
    plan.markdown(_markdown(rng, f"{name.title()}: {rng.choice(WORDS)} {rng.choice(WORDS)}"))
    plan.code(
        f'{frame} = pd.read_csv(os.path.join(DATA_DIR, "{name}.csv"), parse_dates=["date"])\n'
        f"{frame}.shape",
        ("text", f"({rng.randint(1000, 500000)}, {len(columns) + 1})"),
    )
    plan.code(f"{frame}.head({rng.choice((5, 10))})", ("table", columns, rng.choice((5, 10))))
    steps = [
        "describe",
        "info",
        "nulls",
        "hist",
        "heatmap",
        "clean",
        "features",
        "groupby",
        "lambda",
        "timeit",
        "markdown",
        "shell",
        "sample",
    ]
    for step in rng.sample(steps, rng.randint(4, len(steps))):
        if rng.random() < MARKDOWN_BETWEEN_STEPS:
            plan.markdown(_markdown(rng))
        if step == "describe":
            plan.code(f"{frame}.describe()", ("table", numeric, 8))
        elif step == "info":
            info = "\n".join(
                f" {i:<3} {c:<14} {rng.randint(900, 1000)} non-null   float64"
                for i, c in enumerate(columns)
            )
            plan.code(
                f"{frame}.info()",
                (
                    "stream",
                    "stdout",
                    f"<class 'pandas.core.frame.DataFrame'>\nData columns (total {len(columns)}):\n"
                    f"{info}\nmemory usage: {rng.randint(1, 90)}.{rng.randint(0, 9)} MB\n",
                ),
            )
        elif step == "nulls":
            counts = "\n".join(f"{c:<16}{rng.randint(0, 300)}" for c in columns)
            plan.code(f"{frame}.isnull().sum()", ("text", counts + "\ndtype: int64"))
        elif step == "hist":
            plan.code(
                "fig, ax = plt.subplots(figsize=(10, 6))\n"
                f'{frame}["{column}"].hist(bins={rng.choice((30, 50, 100))}, ax=ax)\n'
                f'ax.set_title("Distribution of {column}")\n'
                "plt.show()",
                ("image", "<Figure size 1000x600 with 1 Axes>"),
            )
        elif step == "heatmap":
            heatmap = (
                f'sns.heatmap({frame}.corr(numeric_only=True), annot=True, cmap="coolwarm")\n'
                if "import seaborn" in imports
                else f'plt.imshow({frame}.corr(numeric_only=True), cmap="coolwarm")\n'
            )
            plan.code(
                f"plt.figure(figsize=(8, 8))\n{heatmap}plt.tight_layout()",
                ("image", "<Figure size 800x800 with 2 Axes>"),
            )
        elif step == "clean":
            plan.code(
                f"def clean_{name}(frame: pd.DataFrame) -> pd.DataFrame:\n"
                '    """Drop duplicates and fill missing numbers with the median."""\n'
                "    frame = frame.drop_duplicates()\n"
                '    for column in frame.select_dtypes(include="number").columns:\n'
                "        frame[column] = frame[column].fillna(frame[column].median())\n"
                "    return frame\n\n\n"
                f"{frame} = clean_{name}({frame})\n"
                f"print({frame}.shape)",
                ("stream", "stdout", f"({rng.randint(900, 400000)}, {len(columns) + 1})\n"),
            )
        elif step == "features":
            plan.code(
                f'{frame}["{column}_log"] = np.log1p({frame}["{column}"].clip(lower=0))\n'
                f'{frame}["month"] = {frame}["date"].dt.month\n'
                f"{frame} = pd.get_dummies({frame}, columns={categorical!r}, drop_first=True)"
            )
        elif step == "groupby":
            plan.code(
                f'summary = {frame}.groupby("{category}")["{column}"].agg(["mean", "std", "count"])\n'
                'summary.sort_values("mean", ascending=False)',
                ("table", ["mean", "std", "count"], rng.randint(3, 12)),
            )
        elif step == "lambda":
            plan.code(
                f'{frame}["{category}"] = {frame}["{category}"].map(\n'
                "    lambda value: value.strip().lower() if isinstance(value, str) else value\n"
                ")\n"
                f'top = [key for key, n in {frame}["{category}"].value_counts().items() if n > 100]\n'
                "len(top)",
                ("text", str(rng.randint(1, 40))),
            )
        elif step == "timeit":
            plan.code(
                f'%timeit {frame}["{column}"].sum()',
                (
                    "stream",
                    "stdout",
                    f"{rng.uniform(10, 900):.0f} µs ± {rng.uniform(1, 50):.1f} µs per loop "
                    "(mean ± std. dev. of 7 runs, 1,000 loops each)\n",
                ),
            )
        elif step == "markdown":
            plan.markdown(_markdown(rng))
        elif step == "shell":
            listing = "".join(
                f"-rw-r--r-- 1 user user {rng.randint(1000, 10**8):>10} Mar  3 10:2{i} {n}.csv\n"
                for i, n in enumerate(sorted(DATASETS)[:5])
            )
            plan.code("!ls -la $DATA_DIR", ("stream", "stdout", listing))
        elif step == "sample":
            plan.code(
                f"sample = {frame}.sample(frac=0.1)\n"
                "noise = np.random.normal(0, 1, size=len(sample))\n"
                f'sample["{column}_noisy"] = sample["{column}"] + noise'
            )
    _model(plan, rng, ctx)
    if "import torch" in imports and rng.random() < 0.6:
        _torch(plan, rng, ctx)


def _model(plan: Plan, rng: random.Random, ctx: Context) -> None:
    frame, target = ctx.frame, ctx.target
    plan.markdown(_markdown(rng, "Model"))
    plan.code(
        f'features = [c for c in {frame}.columns if c not in ("{target}", "date")]\n'
        f"X = {frame}[features]\n"
        f'y = {frame}["{target}"]\n'
        "X_train, X_test, y_train, y_test = train_test_split(\n"
        "    X, y, test_size=0.2"
        + (", random_state=SEED" if rng.random() < 0.7 else "")
        + ", stratify=y\n)\nprint(X_train.shape, X_test.shape)",
        ("stream", "stdout", f"({rng.randint(800, 9000)}, 14) ({rng.randint(200, 2000)}, 14)\n"),
    )
    arguments = {
        "RandomForestClassifier": f"n_estimators={rng.choice((100, 300))}, n_jobs=-1",
        "GradientBoostingClassifier": f"learning_rate={rng.choice((0.05, 0.1))}",
        "LogisticRegression": "max_iter=1000",
    }[ctx.model_class]
    seed_argument = ", random_state=SEED" if rng.random() < 0.6 else ""
    plan.code(
        f"%%time\nmodel = {ctx.model_class}({arguments}{seed_argument})\n"
        "model.fit(X_train, y_train)",
        (
            "stream",
            "stdout",
            f"CPU times: user {rng.uniform(1, 90):.1f} s, sys: {rng.uniform(0, 2):.2f} s\n"
            f"Wall time: {rng.uniform(1, 60):.1f} s\n",
        ),
        ("text", f"{ctx.model_class}({arguments}{seed_argument})"),
    )
    report = "\n".join(
        f"{label:>12}       {rng.random():.2f}      {rng.random():.2f}      {rng.random():.2f}"
        f"      {rng.randint(100, 5000)}"
        for label in ("0", "1", "macro avg", "weighted avg")
    )
    plan.code(
        "pred = model.predict(X_test)\n"
        'print(f"accuracy: {accuracy_score(y_test, pred):.4f}")\n'
        'print(f"roc auc:  {roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]):.4f}")\n'
        "print(classification_report(y_test, pred))",
        (
            "stream",
            "stdout",
            f"accuracy: {rng.random():.4f}\nroc auc:  {rng.random():.4f}\n"
            f"              precision    recall  f1-score   support\n\n{report}\n",
        ),
    )
    if rng.random() < 0.4:
        plan.code(
            'param_grid = {"max_depth": [None, 5, 10], "min_samples_leaf": [1, 5]}\n'
            "search = GridSearchCV(\n"
            '    RandomForestClassifier(n_jobs=-1), param_grid, cv=5, scoring="roc_auc"\n'
            ")\n"
            "search.fit(X_train, y_train)\n"
            "search.best_params_",
            ("text", "{'max_depth': 10, 'min_samples_leaf': 5}"),
        )
    if rng.random() < 0.7:
        plan.code(
            "importances = pd.Series(model.feature_importances_, index=features)\n"
            "importances.nlargest(15).plot.barh(figsize=(8, 6))\n"
            "plt.show()",
            ("image", "<Figure size 800x600 with 1 Axes>"),
        )


def _torch(plan: Plan, rng: random.Random, ctx: Context) -> None:
    net = f"{ctx.name.title()}Net"
    epochs = rng.choice((50, 100, 200))
    plan.code(
        f"class {net}(nn.Module):\n"
        f"    def __init__(self, in_features: int, hidden: int = {rng.choice((32, 64, 128))}):\n"
        "        super().__init__()\n"
        "        self.layers = nn.Sequential(\n"
        "            nn.Linear(in_features, hidden),\n"
        "            nn.ReLU(),\n"
        f"            nn.Dropout({rng.choice((0.1, 0.2, 0.5))}),\n"
        "            nn.Linear(hidden, 1),\n"
        "        )\n\n"
        "    def forward(self, x):\n"
        "        return self.layers(x)"
    )
    log = "".join(
        f"epoch {epoch:3d} loss {1 / (1 + epoch / 20) + rng.random() * 0.05:.4f}\n"
        for epoch in range(0, epochs, 10)
    )
    plan.code(
        'device = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n'
        f"net = {net}(X_train.shape[1]).to(device)\n"
        f"optimizer = torch.optim.Adam(net.parameters(), lr={rng.choice((1e-3, 3e-4))})\n"
        "loss_fn = nn.BCEWithLogitsLoss()\n"
        "X_t = torch.tensor(X_train.values, dtype=torch.float32, device=device)\n"
        "y_t = torch.tensor(y_train.values, dtype=torch.float32, device=device).unsqueeze(1)\n"
        "history = []\n"
        f"for epoch in range({epochs}):\n"
        "    net.train()\n"
        "    optimizer.zero_grad()\n"
        "    loss = loss_fn(net(X_t), y_t)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    history.append(loss.item())\n"
        "    if epoch % 10 == 0:\n"
        '        print(f"epoch {epoch:3d} loss {loss.item():.4f}")',
        ("stream", "stdout", log),
    )
    plan.code(
        'plt.plot(history)\nplt.xlabel("epoch")\nplt.ylabel("loss")\nplt.show()',
        ("image", "<Figure size 640x480 with 1 Axes>"),
    )


def plan_notebook(rng: random.Random, cells: int) -> Plan:
    """The cells of one notebook, `cells` of them (the last section is cut to fit)."""
    plan = Plan()
    plan.markdown(f"# {rng.choice(sorted(DATASETS)).title()} analysis\n\n" + _markdown(rng))
    if rng.random() < 0.3:
        package = rng.choice(("lightgbm", "shap", "xgboost==2.0.3", "optuna"))
        plan.code(
            f"!pip install -q {package}",
            ("stream", "stdout", "Note: you may need to restart the kernel.\n"),
        )
    imports = _imports(rng)
    plan.code(imports)
    plan.code(_config(rng))
    while len(plan.cells) < cells:
        _section(plan, rng, _context(rng), imports)
    del plan.cells[cells:]
    return plan


# --------------------------------------------------------------------------------------- notebook


def _execution_counts(rng: random.Random, code_cells: int, history: str) -> list[int | None]:
    counts: list[int | None] = list(range(1, code_cells + 1))
    if history == "out-of-order" and code_cells > 3:
        for _ in range(rng.randint(1, 3)):
            i, j = sorted(rng.sample(range(code_cells), 2))
            counts[i], counts[j] = counts[j], counts[i]
    elif history == "gaps":
        offset = 0
        for i in range(code_cells):
            if rng.random() < 0.1:
                offset += rng.randint(1, 5)
            counts[i] = i + 1 + offset
    elif history == "stripped":
        counts = [None] * code_cells
    return counts


def build_notebook(seed: str, cells: int, target_bytes: int, history: str) -> dict:
    """One notebook as a dict: `cells` cells, plot images sized so that the file is about
    `target_bytes` (stripped notebooks and notebooks without plots come out smaller).
    `history` is one of HISTORIES: how its execution counts look."""
    rng = random.Random(seed)
    plan = plan_notebook(rng, cells)
    code_indexes = [i for i, (cell_type, _, _) in enumerate(plan.cells) if cell_type == "code"]
    counts = dict(
        zip(code_indexes, _execution_counts(rng, len(code_indexes), history), strict=True)
    )
    failing_cell = (
        rng.choice(code_indexes) if history != "stripped" and rng.random() < 0.04 else None
    )
    images = sum(1 for _, _, outputs in plan.cells for kind in outputs if kind[0] == "image")

    def assemble(image_bytes: int) -> dict:
        output_rng = random.Random(f"{seed}-outputs")
        raw_cells = []
        for number, (cell_type, source, outputs) in enumerate(plan.cells):
            cell = {
                "cell_type": cell_type,
                "id": f"{random.Random(f'{seed}-{number}').getrandbits(64):016x}",
                "metadata": {},
                "source": _lines(source),
            }
            if cell_type == "code":
                count = counts[number]
                kinds = [] if history == "stripped" else list(outputs)
                if number == failing_cell:
                    kinds.append(("error", "KeyError", "'target'"))
                cell["execution_count"] = count
                cell["outputs"] = [
                    render_output(output_rng, kind, count, image_bytes) for kind in kinds
                ]
            raw_cells.append(cell)
        return {
            "cells": raw_cells,
            "metadata": NOTEBOOK_METADATA,
            "nbformat": 4,
            "nbformat_minor": 5,
        }

    if history == "stripped" or images == 0:
        return assemble(0)
    # Lay the notebook out without images, then share what is left of the budget among them
    # (base64 makes 4 bytes of 3).
    bare = len(serialize(assemble(0)))
    return assemble(max(2000, (target_bytes - bare) * 3 // 4 // images))


NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.7",
    },
}


def serialize(notebook: dict) -> bytes:
    """As Jupyter writes it: indent 1, sorted keys, non-ASCII kept, a final newline."""
    return (json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


# ----------------------------------------------------------------------------------------- corpus

HISTORIES = ("in-order", "out-of-order", "gaps", "stripped")
HISTORY_WEIGHTS = (70, 15, 7, 8)
PART_SIZE = 100


def corpus_plan(count: int, total_bytes: int, seed: int) -> list[tuple[str, int, int, str]]:
    """(relative path, cells, target bytes, history) for each notebook of the corpus."""
    rng = random.Random(f"corpus-{seed}")
    entries = []
    for i in range(count):
        cells = rng.randint(20, 200)
        history = rng.choices(HISTORIES, weights=HISTORY_WEIGHTS)[0]
        weight = rng.lognormvariate(0, 0.6) * cells
        topic = rng.choice(sorted(DATASETS))
        path = os.path.join(f"part-{i // PART_SIZE:02d}", f"{i:04d}-{topic}.ipynb")
        entries.append((path, cells, weight, history))
    # Stripped notebooks carry no outputs: the byte budget is shared among the others.
    total_weight = sum(weight for _, _, weight, history in entries if history != "stripped")
    return [
        (path, cells, int(total_bytes * weight / total_weight), history)
        for path, cells, weight, history in entries
    ]


# What the corpus notebooks import, declared as a project declares it: pinned, but for one.
PROJECT_FILE = """\
[project]
name = "analyses"
version = "0.1.0"
dependencies = [
  "matplotlib==3.8.4",
  "numpy==1.26.4",
  "pandas==2.2.2",
  "scikit-learn==1.4.2",
  "seaborn>=0.13",
  "torch==2.3.0",
]
"""


def write_project(directory: str) -> None:
    """Make `directory` a project root, with the dependency declarations real projects have:
    nbcheck's dependency rules judge imports against them, as they would in a repository."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "pyproject.toml"), "w", encoding="utf-8") as handle:
        handle.write(PROJECT_FILE)


def write_corpus(directory: str, count: int = 1000, total_mb: float = 400, seed: int = 0) -> int:
    """Write the corpus under `directory`, a project root; returns the bytes written."""
    write_project(directory)
    written = 0
    for path, cells, target, history in corpus_plan(count, int(total_mb * 1e6), seed):
        notebook = build_notebook(f"{seed}-{path}", cells, target, history)
        written += write(os.path.join(directory, path), notebook)
    return written


def write(path: str, notebook: dict) -> int:
    data = serialize(notebook)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return len(data)


def typical_notebook(seed: int = 0, cells: int = 50, size: int = 500_000) -> dict:
    """The notebook a pre-commit hook typically meets: 50 cells, about 500 KB, run in order."""
    return build_notebook(f"{seed}-typical", cells, size, "in-order")


def long_notebook(seed: int = 0, cells: int = 5000) -> dict:
    """A notebook of `cells` cells with small outputs, so that the analysis dominates."""
    return build_notebook(f"{seed}-long", cells, cells * 1500, "in-order")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", help="where to write (default: a new temp dir)")
    parser.add_argument("--count", type=int, default=1000, help="notebooks (default 1000)")
    parser.add_argument("--total-mb", type=float, default=400, help="size in MB (default 400)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from machine import print_machine

    print_machine()
    directory = args.directory or tempfile.mkdtemp(prefix="nbcheck-corpus-")
    start = time.perf_counter()
    written = write_corpus(directory, args.count, args.total_mb, args.seed)
    print(
        f"wrote {args.count} notebooks, {written / 1e6:.1f} MB, to {directory} "
        f"in {time.perf_counter() - start:.1f} s (seed {args.seed})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
