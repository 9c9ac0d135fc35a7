"""``harness new``: a student template generated from the hookspecs.

Every hook is stubbed with its hookspec's signature and docstring; a stub
raises ``NotImplementedError``, which the harness grades "not implemented".
"""

from __future__ import annotations

import inspect
import textwrap

from harness import hookspecs

HEADER = '''"""My Lecture 1 plugin.

Fill in the hooks below, then grade it:

    harness run --plugin {filename}

A hook that still raises NotImplementedError is graded "not implemented".
Arrays are float64 NumPy arrays and samples are columns (see each docstring).
"""

from __future__ import annotations

import numpy as np  # noqa: F401

from harness import hookimpl
'''


def hook_doc(name: str) -> str:
    return inspect.getdoc(getattr(hookspecs, name)) or ""


def hook_summary(name: str) -> str:
    return hook_doc(name).splitlines()[0] if hook_doc(name) else ""


def hook_slide(name: str) -> str:
    """The ``Slide:`` paragraph of a hook's docstring, on one line."""
    doc = hook_doc(name)
    if "Slide:" not in doc:
        return ""
    para = doc.split("Slide:", 1)[1].split("\n\n", 1)[0]
    return " ".join(para.split())


def stub(name: str) -> str:
    fn = getattr(hookspecs, name)
    sig = inspect.signature(fn)
    doc = textwrap.indent(hook_doc(name), "    ")
    return f'\n\n@hookimpl\ndef {name}{sig}:\n    """{doc.strip()}\n    """\n    raise NotImplementedError\n'


def render(filename: str) -> str:
    return HEADER.format(filename=filename) + "".join(stub(n) for n in hookspecs.hook_names())
