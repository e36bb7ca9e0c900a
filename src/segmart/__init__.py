"""segmart: pure Python helpers for the segmart dbt project.

Nothing here imports dbt. The package holds the demo data generator, the summary printer
and the maths that dbt Python models call, so that pytest can reach all of it.
"""

__version__ = "0.1.0"
