"""Benchmarks of VoteTracker against baselines measured on the same machine in the same run (``python -m bench``)."""
