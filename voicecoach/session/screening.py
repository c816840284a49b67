"""The safety screening: questions group by group, confirmation, follow-ups and rules."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

from voicecoach.content.model import Group, Question, Triage
from voicecoach.session.actions import Ask, Heard, Record, Say
from voicecoach.session.asking import ask_yes_no, confirm


@dataclass
class Screening:
    """What the triage found: the flags raised and the most severe action, if any."""

    flags: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    action: str = ""  # the most severe action raised, "" if none
    unclear: bool = False


def _raise(triage: Triage, screening: Screening, action: str) -> None:
    if not screening.action or (
        triage.actions[action].severity > triage.actions[screening.action].severity
    ):
        screening.action = action


def _ends(triage: Triage, screening: Screening) -> bool:
    return bool(screening.action) and triage.actions[screening.action].ends_session


def screen(
    triage: Triage, questions: tuple[Question, ...]
) -> Generator[Ask | Say | Record, Heard | None, Screening]:
    """Ask the questions group by group; confirm a flag, then act. Unclear is never a no.

    Groups that stop early (scope, A) end at the first flag that ends the session; the others
    are asked in full, then the combination rules are checked.
    """
    screening = Screening()
    group_of = {q.id: q.group for q in triage.questions}
    for group in triage.groups:
        for question in (q for q in questions if q.group == group.id):
            if question.only_if and question.only_if not in screening.flags:
                continue
            if question.unless and question.unless in screening.flags:
                continue
            action = yield from _ask_question(triage, group, question, screening)
            yield Record("answer", question.id, "flag" if action else "clear", action or "")
            if action is None:
                continue
            screening.flags.append(question.id)
            _raise(triage, screening, action)
            if not group.ask_all and _ends(triage, screening):
                return screening
        for rule in triage.rules:
            if rule.id not in screening.rules and rule.fires(screening.flags, group_of):
                screening.rules.append(rule.id)
                _raise(triage, screening, rule.action)
        if _ends(triage, screening):
            return screening
    return screening


def _ask_question(
    triage: Triage, group: Group, question: Question, screening: Screening
) -> Generator[Ask | Say, Heard, str | None]:
    """The action this question raises, or None if the answer clearly raised no flag."""
    answer = yield from ask_yes_no(question.text)
    if answer is not None and answer != question.flag_if:
        return None
    if answer is None:
        screening.unclear = True
        if group.unclear_action == "as_yes":
            yield Say("I could not understand the answer, so to be safe I will count it as a yes.")
            return question.action
        yield Say(
            "I could not understand the answer, so to be safe I will treat it as a warning sign."
        )
        return group.unclear_action
    if group.confirm:
        kept = yield from confirm(question.text, answer)
        if kept is not None and kept != question.flag_if:
            return None
    action = yield from _followup(triage, question)
    return action


def _followup(triage: Triage, question: Question) -> Generator[Ask, Heard, str]:
    """A flag's follow-up question may change the action; unclear takes the more severe."""
    if not question.followup:
        return question.action
    answer = yield from ask_yes_no(question.followup)
    if answer is None:
        return max(
            (question.action, question.followup_action),
            key=lambda a: triage.actions[a].severity,
        )
    return question.followup_action if answer == question.followup_flag_if else question.action
