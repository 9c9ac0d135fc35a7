"""Grading: cases in, verdicts and points out, on the trusted side.

The course's tasks (:mod:`harness.course`) build cases with :mod:`.cases`; the
runner sends each case's calls to a sandboxed worker and judges the plain
arrays that come back (:mod:`.compare`); :mod:`.score` turns verdicts into
points. This process never imports plugin code.
"""
