"""Reports: the tables and files of a graded run, the leaderboard and its history.

Everything here works on pandas DataFrames and plain dicts taken from a
finished run; no plugin code, no hidden value. Every file is written
atomically (:mod:`.atomic`).
"""
