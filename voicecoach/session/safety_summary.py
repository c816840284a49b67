"""The whole safety logic as data and as a clinician-facing summary, made from the content.

`triage_as_dict` is what `voicecoach content --json` exports under "triage"; `triage_summary`
is `voicecoach content --triage-summary`, checked in as docs/safety.md (a test keeps the two
the same). PROJECT_CHOICES lists, in one place, every number and rule the seeds do not give.
"""

from __future__ import annotations

from voicecoach.content.model import Triage
from voicecoach.session.asking import MAX_REPEATS, RETRIES
from voicecoach.session.exercising import SHARP_QUESTION, SPREAD_QUESTION
from voicecoach.session.narration import COUNT_EVERY_SECOND_UP_TO, GET_INTO_POSITION
from voicecoach.session.pain import PAIN_RISE_ADVICE, PAIN_RISE_LARGE, SEVERE_PAIN
from voicecoach.session.progress import DAYS_BEFORE_OFFER, RUN_BEFORE_OFFER, TOP_STEP
from voicecoach.session.run import SCREENING_DAYS
from voicecoach.session.symptoms import SYMPTOM_QUESTIONS

PROJECT_CHOICES: tuple[tuple[str, str], ...] = (
    (f"An unclear answer is asked again {RETRIES} more times, then the cautious answer is taken.",
     "Enough tries for a misheard word; never taken as no (content/triage.md rule 4)."),
    (f"'Repeat' is honoured {MAX_REPEATS} times per question, then counts as unclear.",
     "So a stuck listener cannot loop for ever."),
    (f"Groups B1, B2 and C are asked again when the last full screening is {SCREENING_DAYS} "
     "days old.",
     "content/triage.md rule 5 (at least every two weeks, the STarT Back look-back); not a "
     "seed figure."),
    ("Once an emergency is certain, no more questions are asked.",
     "Nothing can be more severe; the advice should not wait."),
    (f"A pain rise of {PAIN_RISE_ADVICE} points gets advice, {PAIN_RISE_LARGE} or more is "
     f"'much higher', and an end rating of {SEVERE_PAIN} or more with a rise is severe.",
     "The seeds say to get worsening pain checked (seed 003) and to stop on severe pain "
     "(seed 004) but give no numbers."),
    (f"A starting rating of {SEVERE_PAIN} or more is met with advice and a choice: rest, the "
     "flare-up routine, or going gently.",
     "Seeds 001 and 004: strong pain is not by itself a sign of something serious."),
    (f"More is offered after {RUN_BEFORE_OFFER} good sessions in a row, the first at least "
     f"{DAYS_BEFORE_OFFER} days before; each offer is one of {TOP_STEP} steps to the top of "
     "the seeds' range.",
     "The three weeks are seed 003's reassessment point (content/exercises.md section 3); the "
     "session count and step size are ours."),
    ("Age beside pain for over six weeks (B2-4) or pain not getting better (B2-6) stays "
     "'see a doctor soon'.",
     "Both are parts of the seeds' own three-part rule (B1-27, seed 003), which counts age "
     "already; more than that goes beyond the seeds."),
    (f"Holds of {COUNT_EVERY_SECOND_UP_TO} seconds or less are counted every second; "
     f"{GET_INTO_POSITION:g} seconds are left to get into position.",
     "Pacing for speech, not a clinical figure."),
)


def triage_as_dict(triage: Triage) -> dict[str, object]:
    """Every part of the safety logic as plain data, for review and tooling."""
    return {
        "welcome": triage.welcome,
        "limits": triage.limits,
        "actions": {a.id: {"severity": a.severity, "ends_session": a.ends_session,
                           "advice": a.advice} for a in triage.actions.values()},
        "groups": [{"id": g.id, "name": g.name, "every_session": g.every_session,
                    "unclear_action": g.unclear_action, "ask_all": g.ask_all,
                    "confirm": g.confirm} for g in triage.groups],
        "questions": [
            {"id": q.id, "group": q.group, "text": q.text, "flag_if": q.flag_if.value,
             "action": q.action, "note": q.note, "followup": q.followup,
             "followup_action": q.followup_action,
             "followup_flag_if": q.followup_flag_if.value if q.followup else "",
             "advice": q.advice, "only_if": q.only_if, "unless": q.unless,
             "lifetime": q.lifetime, "drops": list(q.drops), "adds": list(q.adds),
             "swaps": dict(q.swaps), "keep_only": list(q.keep_only),
             "avoid_positions": list(q.avoid_positions), "max_level": q.max_level,
             "sources": list(q.sources), "references": list(q.references)}
            for q in triage.questions
        ],
        "rules": [{"id": r.id, "text": r.text, "action": r.action, "all": list(r.all),
                   "any": list(r.any), "others": r.others, "others_in": list(r.others_in),
                   "exclude": list(r.exclude), "explain": r.explain,
                   "sources": list(r.sources), "references": list(r.references)}
                  for r in triage.rules],
        "investigation_rule": triage.investigation_rule,
        "in_session": {
            "it_hurts": [SPREAD_QUESTION, SHARP_QUESTION],
            "warning_signs": {kind: list(ids) for kind, ids in SYMPTOM_QUESTIONS.items()},
        },
        "project_choices": [{"choice": c, "why": why} for c, why in PROJECT_CHOICES],
    }


def _sources(sources: tuple[str, ...], references: tuple[str, ...]) -> str:
    seeds = ", ".join(s.split("_")[0] for s in sources) or "none"
    return f"seeds {seeds}" + (f"; {'; '.join(references)}" if references else "")


def triage_summary(triage: Triage) -> str:
    """The safety logic for a clinician to review, as Markdown, generated from the content."""
    actions = triage.actions
    lines = [
        "# voicecoach: the safety logic, for clinical review",
        "",
        "Generated from routines/triage.yaml by `voicecoach content --triage-summary`; a test "
        "keeps this file current. voicecoach does not diagnose.",
        "",
        "## How it works",
        "",
        "- Groups are asked in order. An answer that stays unclear is never taken as no: it "
        "takes the group's unclear action. A flag-raising answer is confirmed before it acts "
        "(except in groups marked 'no confirmation'); 'no, that is wrong' asks the question once "
        "more, and an unclear answer then is handled as unclear.",
        "- Every flag that ends or changes a session is remembered until cleared in words: the "
        "next session asks whether a doctor or physiotherapist has checked it (a confirmed yes "
        "clears it); a routine change holds until its question is answered no; an unclear "
        "answer is asked again. `voicecoach safety` lists, clears and re-arms flags by keyboard. "
        "Lifetime questions, once cleared, are asked again only when the person says something "
        "has changed.",
        "- If a session is interrupted (stop, input ending, Ctrl-C, shutdown) while a flag is "
        "being confirmed, that flag's advice is still given and it is remembered.",
        "",
        "## Actions",
        "",
    ]
    for action in sorted(actions.values(), key=lambda a: -a.severity):
        ends = "ends the session" if action.ends_session else "session goes on"
        lines.append(f"- **{action.id}** (severity {action.severity}, {ends}): {action.advice}")
    for group in triage.groups:
        unclear = "taken as the flag" if group.unclear_action == "as_yes" else group.unclear_action
        how = [
            "asked every session" if group.every_session else "asked in a full screening",
            "all questions asked" if group.ask_all else "stops at the first ending flag",
            f"unclear: {unclear}",
        ]
        if not group.confirm:
            how.append("no confirmation")
        lines += ["", f"## Group {group.id}: {group.name}", "", f"{'; '.join(how)}.", "",
                  "| id | question | flag if | action | notes | sources |",
                  "|---|---|---|---|---|---|"]
        for q in (q for q in triage.questions if q.group == group.id):
            notes = []
            if q.followup:
                notes.append(f"follow-up '{q.followup}' {q.followup_flag_if.value}: "
                             f"{q.followup_action}")
            if q.only_if:
                notes.append(f"only if {q.only_if}")
            if q.unless:
                notes.append(f"unless {q.unless}")
            if q.lifetime:
                notes.append("lifetime")
            for label, items in (("drops", q.drops), ("adds", q.adds),
                                 ("keeps only", q.keep_only),
                                 ("no positions", q.avoid_positions)):
                if items:
                    notes.append(f"{label} {', '.join(items)}")
            if q.swaps:
                notes.append("swaps " + ", ".join(f"{a} for {b}" for a, b in q.swaps))
            if q.max_level:
                notes.append(f"up to {q.max_level}")
            lines.append(f"| {q.id} | {q.text} | {q.flag_if.value} | {q.action} | "
                         f"{'; '.join(notes)} | {_sources(q.sources, q.references)} |")
    lines += ["", "## Combination rules", "", "| id | when | action | sources |",
              "|---|---|---|---|"]
    for r in triage.rules:
        when = [f"all of {', '.join(r.all)}"] if r.all else []
        if r.any:
            when.append(f"any of {', '.join(r.any)}")
        if r.others:
            when.append(f"{r.others} other flag in {', '.join(r.others_in)}"
                        + (f", not {', '.join(r.exclude)}" if r.exclude else ""))
        lines.append(f"| {r.id} | {r.text} ({'; '.join(when)}) | {r.action} | "
                     f"{_sources(r.sources, r.references)} |")
    lines += ["", "## During the routine", "",
              f"- 'It hurts': '{SPREAD_QUESTION}' yes (confirmed) ends the session with advice; "
              f"'{SHARP_QUESTION}' yes leaves that exercise out today (IS-1, IS-2).",
              "- Warning signs said at any time ask the matching emergency questions (IS-6): "
              + "; ".join(f"'{kind}': {', '.join(ids)}" for kind, ids in SYMPTOM_QUESTIONS.items())
              + ".",
              "", "## The project's own choices (not in the seeds)", ""]
    lines += [f"- {choice} Why: {why}" for choice, why in PROJECT_CHOICES]
    return "\n".join(lines) + "\n"
