"""The worker: the only code that runs in the student's process.

Started by the grading side (:mod:`harness.grading.runner`) as ``python -m
harness.worker.serve``; it locks itself down (:mod:`.lockdown`), loads the
course's contract from the file it is given (:mod:`.contract`), imports the
plugin (:mod:`.plugin`, :mod:`.notebook`) and answers requests
(:mod:`.serve`). It imports nothing of the harness but :mod:`harness.codec`
and ``harness`` itself (the hook markers), and it may read nothing else of it
(:data:`harness.sandbox.confine.WORKER_FILES`). Its answers are never trusted.
"""
