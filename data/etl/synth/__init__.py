"""Parts of the synthetic Houston grid generator (``python -m data.etl.generate``).

Each module builds one family of warehouse tables as pyarrow tables, from numpy random streams
keyed by name, so adding a table never shifts the values of another.
"""
