"""The notes service: the example app `make run` serves (see app.py)."""
