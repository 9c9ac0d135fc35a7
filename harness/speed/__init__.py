"""Speed: a correct plugin timed against the reference, in two sandboxed workers on one core."""
