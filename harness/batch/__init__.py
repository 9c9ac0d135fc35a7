"""Running gradings: one plugin's whole run, or a batch of submissions (local processes or Dask).

:mod:`.run` grades, times and reports one plugin; :mod:`.grade` does it for
many submissions at once; :mod:`.collect` and :mod:`.similarity` gather
their results into ``grades.csv`` and the leaderboard.
"""
