"""Safe YAML loading that keeps yes/no/on/off as strings and remembers line numbers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from voicecoach.errors import ContentError


class Located(dict):
    """A mapping that remembers where it and each of its keys stood in the file."""

    path: str = ""
    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Line of `key` in the source file, or of the mapping itself if the key is absent."""
        return self.key_lines.get(key, self.line)


MAX_BYTES = 1_000_000  # a routine file is a few kilobytes; this is far past any real one
MAX_DEPTH = 20  # routine files nest four or five levels


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (only true/false) and located mappings; no aliases
    (a few hundred bytes of nested aliases expand to gigabytes) and no deep nesting."""

    depth = 0

    def compose_node(self, parent: object, index: object) -> yaml.Node | None:
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark
            raise ContentError(f"{self.name}:{mark.line + 1}: aliases (*name) are not "
                               "allowed in routine files; write the value out")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ContentError(f"{self.name}:{mark.line + 1}: nested more than "
                                   f"{MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# Drop YAML 1.1's yes/no/on/off booleans: "yes" is an answer word here, not True.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    mapping = Located()
    mapping.path = loader.name
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)):
            raise ContentError(f"{loader.name}:{key_node.start_mark.line + 1}: a key must be "
                               f"a word or a number, not a {type(key).__name__}")
        if key in mapping:
            raise ContentError(
                f"{loader.name}:{key_node.start_mark.line + 1}: {key}: duplicated key"
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; raise ContentError naming the file and line on any problem."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ContentError(f"{path}: {path.stat().st_size} bytes is too large for a "
                               f"routine file (at most {MAX_BYTES})")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot read: {exc}") from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ContentError(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()
