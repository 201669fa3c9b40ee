"""Rounds' pure domain core: no web framework, UI or database imports.

Shared by the server and the phone app: schedules, coverage, scoring, label signatures,
fraud signals and the sync wire format.
"""
