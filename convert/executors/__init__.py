"""Executors: where batch jobs run. ``local`` (worker processes here) and ``celery``
(workers on any number of machines, through a Redis broker; optional extra)."""
