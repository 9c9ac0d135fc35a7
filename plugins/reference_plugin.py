"""The bundled ``reference`` plugin: exactly the functions of the Numba reference.

It scores 100% through the same worker, channel and judges as any student's
plugin; that is how the harness checks its own truth before it judges anyone.
"""

from __future__ import annotations

import reference
from harness import hookimpl
from harness.hookspecs import hook_names

for _name in hook_names():
    globals()[_name] = hookimpl(getattr(reference, _name))
del _name
