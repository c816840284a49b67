"""Content: exercises, routines and the safety questions, from YAML into frozen dataclasses.

Lives here: the model (`model`), the YAML reader that keeps line numbers (`yamlio`), typed field
access that collects problems (`fields`), the parsers (`parse`, `parse_triage`) and the loader
(`loader`). Pure data: imports nothing from voicecoach but `errors`, and no I/O library.
"""
