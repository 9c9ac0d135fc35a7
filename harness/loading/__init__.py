"""Loading: what the user names, turned into something to grade, on the trusted side.

A plugin NAME becomes a :class:`~harness.loading.plugins.PluginSpec` (a path or a
module name, found without importing it); a batch's submissions are found,
copied and unpacked; a notebook is read, never run; a plugin's source is looked
at. Nothing here imports a plugin: that happens in :mod:`harness.worker` only.
"""
