"""The safety screening: questions group by group, confirmation, follow-ups and rules."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

from voicecoach.content.model import Group, Question, Triage
from voicecoach.session.actions import Ask, Heard, Record, Say
from voicecoach.session.asking import ask_yes_no, confirm
from voicecoach.session.memory import SafetyMemory, remembered


@dataclass
class Screening:
    """What the triage found: the flags raised and the most severe action, if any."""

    flags: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    action: str = ""  # the most severe action raised, "" if none
    unclear: bool = False
    how: dict[str, str] = field(default_factory=dict)  # question id -> "unclear"


def _raise(triage: Triage, screening: Screening, action: str) -> None:
    if not screening.action or (
        triage.actions[action].severity > triage.actions[screening.action].severity
    ):
        screening.action = action


def _ends(triage: Triage, screening: Screening) -> bool:
    return bool(screening.action) and triage.actions[screening.action].ends_session


def _severity(triage: Triage, action: str) -> int:
    return triage.actions[action].severity if action else -1


UNCLEAR_EMERGENCY = (
    "I could not hear your answer to: {text} If you do have that, call your emergency number "
    "now. If you do not, then to be safe, please contact a doctor today before you exercise. "
    "I will still ask the other safety questions."
)


def screen(
    triage: Triage,
    questions: tuple[Question, ...],
    memory: SafetyMemory | None = None,
    skip: frozenset[str] = frozenset(),
) -> Generator[Ask | Say | Record, Heard | None, Screening]:
    """Ask the questions group by group; confirm a flag, then act. Unclear is never a no.

    Flags in force from earlier sessions (`memory`) count from the start and are not asked
    again, except routine changes, which a clear "no" now clears. Questions in `skip` (lifetime
    questions already cleared) are not asked. A group that does not ask all (scope) stops at
    its first flag that ends the session; the others are asked in full, and the most severe
    outcome wins: once it is certain (an emergency), nothing more is asked. When the session
    will end, only the every-session groups (the emergency signs) are still asked.
    """
    screening = Screening()
    memory = memory or SafetyMemory()
    group_of = {q.id: q.group for q in triage.questions}
    rule_ids = {r.id for r in triage.rules}
    known = {f.id for f in memory.in_force}
    asked_again = {f.id for f in memory.in_force if f.asked_again}
    for flag in memory.in_force:
        if flag.in_force_now:
            (screening.rules if flag.id in rule_ids else screening.flags).append(flag.id)
            _raise(triage, screening, flag.action)
    top = max(a.severity for a in triage.actions.values())
    for group in triage.groups:
        if _severity(triage, screening.action) >= top:
            return screening
        if _ends(triage, screening) and not group.every_session:
            continue
        for question in (q for q in questions if q.group == group.id):
            if question.only_if and question.only_if not in screening.flags:
                if question.id in asked_again and question.id in screening.flags:
                    screening.flags.remove(question.id)  # its first step is now a clear no
                    yield Record("clear", question.id, "answered no")
                continue
            if question.unless and question.unless in screening.flags:
                continue
            if question.id in skip or (question.id in known and question.id not in asked_again):
                continue
            action = yield from _ask_question(triage, group, question, screening)
            yield Record("answer", question.id, "flag" if action else "clear", action or "")
            if action is None:
                if question.id in known:  # remembered, now answered with a clear no
                    if question.id in screening.flags:
                        screening.flags.remove(question.id)
                    yield Record("clear", question.id, "answered no")
                continue
            if question.id not in screening.flags:
                screening.flags.append(question.id)
            if remembered(action):
                yield Record("flag", question.id, action, screening.how.get(question.id, "yes"))
            _raise(triage, screening, action)
            if _severity(triage, action) >= top:
                return screening
            if not group.ask_all and triage.actions[action].ends_session:
                return screening
        for rule in triage.rules:
            if rule.id not in screening.rules and rule.fires(screening.flags, group_of):
                screening.rules.append(rule.id)
                if remembered(rule.action) and rule.id not in known:
                    yield Record("flag", rule.id, rule.action, "rule")
                _raise(triage, screening, rule.action)
    return screening


def _ask_question(
    triage: Triage, group: Group, question: Question, screening: Screening
) -> Generator[Ask | Say | Record, Heard, str | None]:
    """The action this question raises, or None if the answer clearly raised no flag.

    Whatever interrupts a flag being confirmed ("stop", input ending, Ctrl-C, SIGTERM), the
    flag is recorded and its advice given before the interruption goes on.
    """
    answer = yield from ask_yes_no(question.text)
    if answer is not None and answer != question.flag_if:
        return None
    if answer is None:
        return (yield from _unclear(triage, group, question, screening))
    try:
        if group.confirm:
            kept = yield from confirm(question.text, answer)
            if kept is None:
                return (yield from _unclear(triage, group, question, screening))
            if kept != question.flag_if:
                return None
        action = yield from _followup(triage, question)
    except (Exception, KeyboardInterrupt):
        pending = max((question.action, question.followup_action or question.action),
                      key=lambda a: triage.actions[a].severity)
        if remembered(pending):
            yield Record("flag", question.id, pending, "unconfirmed")
        yield Say(f"Before we stop: you said {answer.value} to: {question.text} "
                  f"{triage.actions[pending].advice}")
        raise
    return action


def _unclear(
    triage: Triage, group: Group, question: Question, screening: Screening
) -> Generator[Say, Heard, str]:
    """The cautious action for an answer that stayed unclear, said plainly; the same whether
    the first answer or the answer asked again after a correction was unclear."""
    screening.unclear = True
    screening.how[question.id] = "unclear"
    if group.unclear_action == "as_yes":
        yield Say("I could not understand the answer, so to be safe I will take it as a "
                  f"{question.flag_if.value}.")
        return question.action
    if question.action == "emergency":
        yield Say(UNCLEAR_EMERGENCY.format(text=question.text))
    else:
        yield Say("I could not understand the answer, so to be safe I will treat it as a "
                  "warning sign.")
    return group.unclear_action


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
