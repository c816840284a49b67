"""The triage section (actions, groups, questions, rules) from YAML, with its cross-checks."""

from __future__ import annotations

from typing import Any

from voicecoach.content.fields import Fields, Problems
from voicecoach.content.model import (
    LEVELS,
    POSITIONS,
    Action,
    Answer,
    Exercise,
    Group,
    Question,
    Rule,
    Triage,
)
from voicecoach.content.yamlio import Located


def parse_triage(data: Any, problems: Problems, path: str) -> Triage | None:
    f = Fields(data, problems, "triage", path)
    f.unknown_keys(
        ("welcome", "limits", "actions", "groups", "questions", "rules", "investigation_rule")
    )
    actions: dict[str, Action] = {}
    raw_actions = f.data.get("actions")
    if not isinstance(raw_actions, Located) or not raw_actions:
        f.fail("actions", "must be a mapping of action id to advice")
        raw_actions = Located()
    for action_id, raw in raw_actions.items():
        a = Fields(raw, problems, f"actions.{action_id}", path)
        a.unknown_keys(("advice", "ends_session", "severity"))
        actions[action_id] = Action(
            action_id,
            a.text("advice"),
            a.flag("ends_session", True),
            int(a.number("severity", 0, 0, 100)),
        )
        f.ok = f.ok and a.ok
    groups: list[Group] = []
    for raw in f.data.get("groups") or []:
        g = Fields(raw, problems, "group", path)
        g.unknown_keys(("id", "name", "every_session", "unclear_action", "ask_all", "confirm"))
        group = Group(
            g.text("id"),
            g.text("name"),
            g.flag("every_session", False),
            g.choice("unclear_action", ["as_yes", *actions]) if actions else "",
            ask_all=g.flag("ask_all", False),
            confirm=g.flag("confirm", True),
        )
        groups.append(group)
        f.ok = f.ok and g.ok
    if not groups:
        f.fail("groups", "must list at least one question group")
    group_ids = [g.id for g in groups]
    questions: list[Question] = []
    seen: set[str] = set()
    for raw in f.data.get("questions") or []:
        q = Fields(raw, problems, "question", path)
        q.unknown_keys(
            ("id", "group", "text", "flag_if", "action", "sources", "references", "note",
             "drops", "swaps", "followup", "followup_action", "followup_flag_if", "advice",
             "only_if", "unless", "adds", "keep_only", "max_level", "lifetime",
             "avoid_positions")
        )
        swaps_raw = q.data.get("swaps") or {}
        if not isinstance(swaps_raw, dict):
            q.fail("swaps", "must map an exercise id to its replacement id")
            swaps_raw = {}
        question = Question(
            id=q.text("id"),
            group=q.choice("group", group_ids) if group_ids else "",
            text=q.text("text"),
            flag_if=Answer(q.choice("flag_if", ("yes", "no"), "yes")),
            action=q.choice("action", actions) if actions else "",
            sources=q.texts("sources"),
            references=q.texts("references"),
            note=q.text("note", "") if q.data.get("note") else "",
            drops=q.texts("drops"),
            swaps=tuple((str(k), str(v)) for k, v in swaps_raw.items()),
            followup=q.text("followup") if "followup" in q.data else "",
            followup_action=(
                q.choice("followup_action", actions) if "followup" in q.data and actions else ""
            ),
            followup_flag_if=Answer(q.choice("followup_flag_if", ("yes", "no"), "yes")),
            advice=q.text("advice") if "advice" in q.data else "",
            only_if=q.text("only_if") if "only_if" in q.data else "",
            unless=q.text("unless") if "unless" in q.data else "",
            adds=q.texts("adds"),
            keep_only=q.texts("keep_only"),
            max_level=q.choice("max_level", LEVELS) if "max_level" in q.data else "",
            lifetime=q.flag("lifetime", False),
            avoid_positions=q.texts("avoid_positions"),
        )
        for position in question.avoid_positions:
            if position not in POSITIONS:
                q.fail("avoid_positions", f"{position!r}; must be one of: {', '.join(POSITIONS)}")
        for key in ("only_if", "unless"):
            other = getattr(question, key)
            if other and other not in seen:
                q.fail(key, f"must name an earlier question, not {other!r}")
        if not question.sources and not question.references:
            q.fail("sources", "name the seed file(s) or, if none, the references")
        if question.id in seen:
            q.fail("id", f"duplicated question id {question.id!r}")
        seen.add(question.id)
        if not question.text.endswith("?"):
            q.fail("text", "a question must end with a question mark")
        questions.append(question)
        f.ok = f.ok and q.ok
    if not questions:
        f.fail("questions", "must list at least one question")
    rules: list[Rule] = []
    for raw in f.data.get("rules") or []:
        r = Fields(raw, problems, "rule", path)
        r.unknown_keys(("id", "text", "action", "all", "any", "others", "others_in", "exclude",
                        "sources", "references", "explain"))
        rule = Rule(
            id=r.text("id"),
            text=r.text("text"),
            action=r.choice("action", actions) if actions else "",
            all=r.texts("all"),
            any=r.texts("any"),
            others=int(r.number("others", 0, 0, 10)),
            others_in=r.texts("others_in"),
            exclude=r.texts("exclude"),
            sources=r.texts("sources"),
            references=r.texts("references"),
            explain=r.flag("explain", False),
        )
        for named in (*rule.all, *rule.any, *rule.exclude):
            if named not in seen:
                r.fail("all", f"unknown question id {named!r}")
        for group_id in rule.others_in:
            if group_id not in group_ids:
                r.fail("others_in", f"unknown group {group_id!r}")
        if not rule.all and not rule.any:
            r.fail("all", "a rule needs `all` or `any`")
        rules.append(rule)
        f.ok = f.ok and r.ok
    triage = Triage(
        welcome=f.text("welcome"),
        limits=f.text("limits"),
        actions=actions,
        groups=tuple(groups),
        questions=tuple(questions),
        rules=tuple(rules),
        investigation_rule=(
            f.text("investigation_rule") if "investigation_rule" in f.data else ""
        ),
    )
    return triage if f.ok else None


def check_triage_refs(
    triage: Triage,
    raw: Located,
    exercises: dict[str, Exercise],
    known_seeds: set[str],
    problems: Problems,
) -> None:
    by_id = {q.get("id"): q for q in raw.get("questions") or [] if isinstance(q, Located)}
    for question in triage.questions:
        where = by_id.get(question.id)
        for source in question.sources:
            if source not in known_seeds:
                problems.add(where, "sources", f"{source!r} is not one of the seed files")
        named = (*question.drops, *question.adds, *question.keep_only,
                 *(x for pair in question.swaps for x in pair))
        for exercise_id in named:
            if exercise_id not in exercises:
                problems.add(where, "drops", f"unknown exercise id {exercise_id!r}")
