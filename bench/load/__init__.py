"""Load and fault runs against gunicorn on loopback (`python -m bench.load`; runner.py)."""
