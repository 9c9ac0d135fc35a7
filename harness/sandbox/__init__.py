"""The sandbox around a worker, set up by the grading side: limits, namespaces, cgroups, the read list.

:mod:`.launch` starts a worker process inside its limits; :mod:`.confine`
computes what that worker may read and write. The layers a process can only
apply to itself (Landlock, seccomp, capabilities) are the worker's own:
:mod:`harness.worker.lockdown`.
"""
