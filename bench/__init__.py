"""Benchmarks of the bot on this machine; run each as ``python -m bench.<name> [--quick]``."""
