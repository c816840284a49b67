"""The pure session core: what to say and ask next, given the content, the answers and the clock.

Lives here: the actions the core yields (`actions`), asking with re-asks (`asking`), the safety
screening (`screening`), one exercise with its interruptions (`exercising`), the whole session
(`run`), doses to timed cues (`narration`), routine changes from the screening (`adapt`),
progression (`progress`), the clocks (`clock`), numbers as words (`words`) and the printable
handout (`handout`). Imports only `content` and `errors`: no printing, sleeping on its own,
audio, database or subprocess.
"""
