"""The steps of the pipeline: what the DAGs and the ``anchor`` CLI both call, one job per module.

A step takes a :class:`pipeline.network.Network` (or just the engine, bucket or settings it needs),
reads and writes through ``pipeline.adapters`` and ``warehouse``, and does its thinking with the pure
functions in ``transforms``. Steps never import Airflow, the CLI or the sample generators.
"""
