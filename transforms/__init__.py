"""Pure transformations of member returns: no I/O, no Airflow, testable on in-memory frames."""
