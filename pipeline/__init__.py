"""Pipeline steps that the Airflow DAGs and the ``anchor`` CLI both call: I/O at the edges, no Airflow imports."""
