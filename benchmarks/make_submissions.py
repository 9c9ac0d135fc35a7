"""Generate a folder of fake student submissions for measuring ``harness grade``.

    python benchmarks/make_submissions.py DIR [-n 100] [--seed 0]

The mix (for -n 100): half correct, a third buggy, the rest hostile.

* correct: the bundled numpy plugin, some with hooks left out (not implemented),
  one in ten the plain-Python plugin;
* buggy: the numpy plugin with 1-3 of the lecture's typical mistakes patched in
  (ReLU'(0) = 1, sigma(z)(1 - z), the slide's L1/Huber errata, a missing 1/m ...);
* hostile: a hook that loops forever, segfaults, exits, eats memory, returns a
  huge array; an import that raises, tries the network or writes outside its
  sandbox; a syntax error; a marked hook with a typo; a zip-slip archive and a
  tar with a link.

Formats: mostly ``.py``; every tenth a ``.zip``, every tenth a ``.tar.gz``, a
few package directories. Hostile behaviour is triggered on a few inputs only
(0-d or empty arrays), so that a batch finishes in minutes with the default
10 s case timeout.
"""

from __future__ import annotations

import argparse
import io
import random
import tarfile
import zipfile
from pathlib import Path

import plugins.numpy_plugin
import plugins.python_plugin

NUMPY = Path(plugins.numpy_plugin.__file__).read_text()
PYTHON = Path(plugins.python_plugin.__file__).read_text()

#: Typical mistakes: hook definitions appended to a correct plugin (the later name wins).
BUGS = {
    "relu_grad_at_0": "def relu_grad(z):\n    return (np.asarray(z) >= 0).astype(float)\n",
    "sigmoid_grad_1_minus_z": ("def sigmoid_grad(z):\n    z = np.asarray(z, dtype=float)\n"
                               "    return sigmoid(z) * (1 - z)\n"),
    "l1_grad_erratum": ("def l1_loss_grad(y_hat, y):\n"
                        "    return np.sign(np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float))\n"),
    "l2_grad_sign": ("def l2_loss_grad(y_hat, y):\n"
                     "    return 2.0 * (np.asarray(y, dtype=float) - np.asarray(y_hat, dtype=float))\n"),
    "huber_grad_erratum": ("def huber_loss_grad(y_hat, y, delta):\n"
                           "    r = np.asarray(y_hat, dtype=float) - np.asarray(y, dtype=float)\n"
                           "    return np.where(np.abs(r) <= delta, r, -delta * np.sign(r))\n"),
    "cost_without_1_over_m": ("def cost(y_hat, y, loss, delta):\n"
                              "    y_hat, y = np.atleast_2d(y_hat), np.atleast_2d(y)\n"
                              "    losses = {'l1': l1_loss, 'l2': l2_loss, 'logistic': logistic_loss}\n"
                              "    f = losses.get(loss) or (lambda a, b: huber_loss(a, b, delta))\n"
                              "    return float(np.sum(f(y_hat, y)))\n"),
    "step_ge": ("def step(z, threshold):\n"
                "    return (np.asarray(z, dtype=float) >= threshold).astype(float)\n"),
    "leaky_fixed_alpha": ("def leaky_relu(z, alpha):\n    z = np.asarray(z, dtype=float)\n"
                          "    return np.where(z > 0, z, 0.01 * z)\n"),
    "polar_swapped": ("def to_polar(X):\n    X = np.asarray(X, dtype=float)\n"
                      "    return np.vstack([np.arctan2(X[1], X[0]), np.hypot(X[0], X[1])])\n"),
    "tanh_grad_no_square": ("def tanh_grad(z):\n    return 1.0 - np.tanh(np.asarray(z, dtype=float))\n"),
}

#: Hostile hooks (appended) and hostile modules (whole files).
HOSTILE_HOOKS = {
    "loop_on_scalar": ("def relu(z):\n    z = np.asarray(z, dtype=float)\n    if z.ndim == 0:\n"
                       "        while True:\n            pass\n    return np.maximum(z, 0.0)\n"),
    "segfault_on_scalar": ("def tanh(z):\n    z = np.asarray(z, dtype=float)\n    if z.ndim == 0:\n"
                           "        import ctypes\n        ctypes.string_at(0)\n    return np.tanh(z)\n"),
    "exit_on_empty": ("def sigmoid_grad(z):\n    z = np.asarray(z, dtype=float)\n    if z.size == 0:\n"
                      "        import os\n        os._exit(3)\n    s = 1 / (1 + np.exp(-z))\n"
                      "    return s * (1 - s)\n"),
    "memory_hog": ("def l1_loss(y_hat, y):\n    hog = np.ones((1 << 30,))  # 8 GiB\n"
                   "    return np.abs(np.asarray(y) - np.asarray(y_hat)) + 0 * hog[0]\n"),
    "huge_output": "def step(z, threshold):\n    return np.zeros(50_000_000)\n",
}
HOSTILE_IMPORTS = {
    "raises_at_import": 'raise RuntimeError("weights.npz not found")\n',
    "network_at_import": ("import socket\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=1)"
                          "\nexcept OSError:\n    pass\n"),
    "writes_outside": ("try:\n    open('/tmp/harness-benchmark-pwned', 'w').write('x')\n"
                       "except OSError:\n    pass\n"),
    "exit_at_import": "import sys\nsys.exit(0)\n",
}
HOSTILE_FILES = {
    "syntax_error": "from harness import hookimpl\n\ndef relu(z:\n    return z\n",
    "typo_hook": "from harness import hookimpl\n\n@hookimpl\ndef sigmod(z):\n    return z\n",
}


def with_hooks(base: str, snippets: list[str]) -> str:
    return base + "\n\n" + "\n\n".join("@hookimpl\n" + s for s in snippets)


def without_hooks(base: str, rng: random.Random, k: int) -> str:
    """``base`` with ``k`` of its hooks unmarked (so they are not implemented)."""
    marks = [i for i in range(base.count("@hookimpl\n"))]
    drop = set(rng.sample(marks, k))
    parts = base.split("@hookimpl\n")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += ("" if i in drop else "@hookimpl\n") + part
    return out


def write(folder: Path, name: str, source: str, fmt: str) -> None:
    if fmt == "py":
        (folder / f"{name}.py").write_text(source)
    elif fmt == "package":
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text(source)
    elif fmt == "zip":
        with zipfile.ZipFile(folder / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"{name}/solution.py", source)
            zf.writestr(f"{name}/README.md", "my submission")
    else:
        with tarfile.open(folder / f"{name}.tar.gz", "w:gz") as tar:
            data = source.encode()
            info = tarfile.TarInfo(f"{name}_pkg/__init__.py")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def hostile_archives(folder: Path) -> None:
    with zipfile.ZipFile(folder / "zip_slip.zip", "w") as zf:
        zf.writestr("../../escaped.py", "x = 1")
    with tarfile.open(folder / "tar_link.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("mine.py")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)


def generate(folder: Path, n: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    n_hostile = max(1, round(n * 0.15))
    n_buggy = round(n * 0.35)
    n_correct = n - n_hostile - n_buggy
    formats = ["py"] * 7 + ["zip", "tar", "package"]
    for i in range(n_correct):
        base = PYTHON if i % 10 == 9 else NUMPY
        source = without_hooks(base, rng, rng.choice([0, 0, 0, 1, 3])) if i % 10 != 9 else base
        write(folder, f"correct_{i:03d}", source, formats[i % 10])
    for i in range(n_buggy):
        bugs = rng.sample(sorted(BUGS), rng.randint(1, 3))
        write(folder, f"buggy_{i:03d}", with_hooks(NUMPY, [BUGS[b] for b in bugs]), formats[i % 10])
    kinds = [*HOSTILE_HOOKS, *HOSTILE_IMPORTS, *HOSTILE_FILES, "zip_slip", "tar_link"]
    for i in range(n_hostile):
        kind = kinds[i % len(kinds)]
        name = f"hostile_{i:03d}_{kind}"
        if kind in HOSTILE_HOOKS:
            write(folder, name, with_hooks(NUMPY, [HOSTILE_HOOKS[kind]]), "py")
        elif kind in HOSTILE_IMPORTS:
            head, sep, rest = NUMPY.partition("\n@hookimpl")
            write(folder, name, head + "\n" + HOSTILE_IMPORTS[kind] + sep + rest, "py")
        elif kind in HOSTILE_FILES:
            write(folder, name, HOSTILE_FILES[kind], "py")
    if n_hostile >= len(kinds):
        hostile_archives(folder)
    return {"correct": n_correct, "buggy": n_buggy, "hostile": n_hostile}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = generate(args.folder, args.n, args.seed)
    print(f"wrote {sum(counts.values())} submissions to {args.folder}: "
          + ", ".join(f"{v} {k}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
