"""How long the texts of a progress update may be, wherever they are written: the
page's form, the API and the offline questionnaire refuse longer ones alike.

Each limit leaves room for the longest honest answer and keeps a runaway paste from
filling the database, the report and the reviewer's screen:
- the narrative, about 3,000 words (six printed pages), the longest text a state
  writes and the one the report quotes in its annex;
- the challenges, about 750 words: the report groups them across states;
- each technical-assistance need, about 300 words, up to ten of them.
The public summary (400), the reference of the state's communication (200), a
measure's title (300) and link (500) have their limits on the model.
"""

NARRATIVE_MAX_CHARS = 20_000
CHALLENGES_MAX_CHARS = 5_000
NEED_MAX_CHARS = 2_000
