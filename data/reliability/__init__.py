"""IEEE 1366 reliability reporting: the indices (ieee1366) and the calibrated outage history
the report reads (data/etl/synth/history.py builds it)."""
