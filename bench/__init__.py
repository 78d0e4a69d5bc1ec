"""Benchmarks: measured figures for every speed promise, at 10k to 1M appointments.

``python -m bench`` (or ``make bench``) builds a synthetic clinic group in its own database,
measures the public API in-process (median and p95, queries per request, the floor each
figure cannot beat) and writes bench/results.json and bench/results.md. ``--load`` serves
the app with two gunicorn instances against one PostgreSQL database and books from
concurrent clients. See bench/__main__.py for the options.
"""
