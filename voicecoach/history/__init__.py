"""History: every session on this machine, in a SQLite file, and views of it.

Lives here: the store with its migrations (`store`), the keeper that writes each step as it
happens (`keeper`), progress sentences and CSV (`summary`), the plain-text table (`table`) and
the plot (`plot`). May import `session` (actions, progression, words) and `content`.
"""
