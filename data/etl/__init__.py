"""Batch data work: schemas and migrations, the synthetic grid generator, the AMI pipeline and
the warehouse -> Postgres cache sync. Run as `python -m data.etl.<module>`; never on a request."""
