"""Built-in content: exercises, routines and the triage question set, as YAML."""
