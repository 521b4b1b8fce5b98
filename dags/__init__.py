"""The Airflow DAG files. A package only so that they ship in the wheel (``anchor demo`` runs them from
wherever the project is installed); Airflow parses each file on its own."""
