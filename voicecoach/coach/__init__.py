"""The coach: the loops that perform the session's actions with real speakers and listeners.

Lives here: the session loop (`loop`), building the real speaker, listener and watcher from the
options (`wiring`), the JSON-lines transcript (`transcript`), the smart-speaker waiting loop
(`serve`) and the sound-device diagnosis (`audio_check`). May import `session`, `content`,
`hearing`, `audio` and `history`; never `cli` or `testing`.
"""
