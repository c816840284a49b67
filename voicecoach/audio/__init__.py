"""Audio: WAV helpers, speech rendering, loudspeakers, devices and calls that must not hang.

Lives here: WAV reading, writing, tones and levels (`wav`), espeak-ng through pyttsx3
(`rendering`), the speaker protocol with console and WAV-file speakers (`speakers`), the
loudspeaker played by a player process (`audio_speaker`), device listing (`devices`), quieting
C libraries' stderr (`quiet`) and deadlines on blocking calls (`deadline`). Imports nothing
from voicecoach but `errors` and itself.
"""
