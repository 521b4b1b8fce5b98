"""Example network configs and the reference tables shipped with the pipeline (package data).

``london.toml`` is the example London network the demo runs, ``durham.toml`` a small network on the UK
Living Wage, ``production.toml`` the compose stack's; ``living_wage_rates.csv`` holds the Living Wage
rates with their sources. Read them with ``importlib.resources`` (see ``pipeline.config``).
"""
