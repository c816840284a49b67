"""Content against its sources: the whole catalogue is here, and no seed sentence is copied."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from tests.shared import SEEDS, SHARED, content
from voicecoach.session.handout import routine_minutes

C = content()
CATALOGUE = SHARED / "content" / "exercises.md"
COPY_LIMIT = 8  # a run of this many words shared with a seed counts as copied


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("'", ""))


def spoken_texts() -> list[tuple[str, str]]:
    """Every sentence voicecoach can say, with where it comes from."""
    out = [("welcome", C.triage.welcome), ("limits", C.triage.limits),
           ("investigation", C.triage.investigation_rule)]
    out += [(f"action {a.id}", a.advice) for a in C.triage.actions.values()]
    for q in C.triage.questions:
        out += [(q.id, q.text), (q.id, q.advice), (q.id, q.followup)]
    for e in C.exercises.values():
        for text in (*e.setup, e.action, e.repeat_action, e.release, *e.reminders,
                     e.other_side, e.finish, *e.cautions, e.dose.note):
            out.append((e.id, text))
    out += [(r.id, r.intro) for r in C.routines.values()]
    return [(where, t) for where, t in out if t]


@pytest.mark.skipif(not CATALOGUE.is_file(), reason="../shared/content is absent")
def test_every_catalogue_exercise_is_in_the_content():
    catalogue_ids = set(re.findall(r"^#### \d+\. `([a-z0-9_]+)`", CATALOGUE.read_text(), re.M))
    assert len(catalogue_ids) == 26
    assert catalogue_ids == set(C.exercises)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is absent")
def test_no_sentence_of_eight_or_more_words_is_copied_from_the_seeds():
    seed_grams: set[tuple[str, ...]] = set()
    for seed in SEEDS.glob("*.txt"):
        w = words(seed.read_text(errors="replace"))
        seed_grams |= {tuple(w[i:i + COPY_LIMIT]) for i in range(len(w) - COPY_LIMIT + 1)}
    copied = []
    for where, text in spoken_texts():
        w = words(text)
        for i in range(len(w) - COPY_LIMIT + 1):
            if tuple(w[i:i + COPY_LIMIT]) in seed_grams:
                copied.append(f"{where}: {' '.join(w[i:i + COPY_LIMIT])}")
    assert not copied, "\n".join(copied)


def test_copy_check_can_fail():
    w = words("Stand side-on to a wall about an arm's length away from it today")
    grams = {tuple(w[i:i + COPY_LIMIT]) for i in range(len(w) - COPY_LIMIT + 1)}
    assert tuple(words("side on to a wall about an arms length")[:COPY_LIMIT]) in grams


def test_every_question_and_exercise_names_its_sources():
    for e in C.exercises.values():
        assert e.sources, e.id
    for q in C.triage.questions:
        assert q.sources or q.references, q.id


def test_routine_lengths_are_computed_and_plausible():
    minutes = {r.id: routine_minutes(r) for r in C.routines.values()}
    assert 12 <= minutes["beginner_back_hip"] <= 20
    assert minutes["desk_break"] < 8
    assert all(m > 2 for m in minutes.values())


def test_routines_change_position_sensibly():
    order = ["supine", "side-lying", "all-fours", "kneeling", "seated", "standing"]
    for routine in C.routines.values():
        positions = [order.index(s.exercise.position) for s in routine.steps]
        getting_up = sum(1 for a, b in pairwise(positions) if b < a)
        assert getting_up == 0, f"{routine.id} goes back down to the floor"
