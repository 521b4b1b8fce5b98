"""Adapters to the outside world: the bucket and lake (fsspec), mail (SMTP), PDF printing (Chromium),
secrets, and Airflow's connection and variable store (``adapters.airflow``, the only module outside
``dags/`` that imports Airflow). They know nothing of returns or KPIs.
"""
