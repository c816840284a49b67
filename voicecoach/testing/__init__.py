"""Test and benchmark machinery, importable like `click.testing`: never imported by the product.

Lives here: a virtual room where the coach's speech leaks into a microphone (`room`), virtual
sound devices on a private PulseAudio server (`virtual_audio`) and a driver that answers a
session aloud and records both sides (`spoken_session`). May import anything in voicecoach.
"""
