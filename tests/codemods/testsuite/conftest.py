"""demo_project/ is a small project the behavioural test copies and runs in a subprocess,
not tests of this session."""

collect_ignore = ["demo_project"]
