"""Hearing: from microphone samples (or a WAV file, or typed lines) to an answer or a command.

Lives here: the vocabularies (`vocabulary`), the grammar decoder (`recognizer`), the word check
on a speech embedding (`word_check`), Whisper's third opinion (`second_pass`), noise
subtraction (`denoise`), every recognition knob with the measurement that set it (`tuning`),
the wake spotter (`wake`), the answer listeners (`listeners`), typed answers and the fallback
to them (`typed`), the command watchers (`watchers`, `keyboard`, `voice_watcher`), the
endpointer (`endpointer`), the self-hearing policy and command spotter (`spotting`) and the
echo canceller (`echo`). May import `audio`, `session` (its action types and number words)
and `content`.
"""
