"""Rounds' server: a FastAPI service over one SQLite file and a folder of photos."""
