"""The bundled ``reference`` plugin: exactly the functions of the Numba reference.

It scores 100% through the same worker, channel and judges as any student's
plugin; that is how the harness checks its own truth before it judges anyone.

Its kernels are loaded (or compiled) once, at import: every task runs in a
fork of the worker that imported the plugin, so a kernel first called inside
a task would be loaded again from Numba's cache in each of the 30 forks (about
0.6 s each). A student's Numba plugin can do the same.
"""

from __future__ import annotations

import reference
from harness import hookimpl

for _name in reference.__all__:  # every hook of the contract, by the same name
    globals()[_name] = hookimpl(getattr(reference, _name))
del _name

reference.warmup()
