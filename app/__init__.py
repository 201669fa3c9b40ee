"""Rounds field app (Flet): guards, cleaners and cleaning supervisors."""
