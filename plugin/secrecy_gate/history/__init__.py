"""Git history as evidence: read once, parsed in a form a commit cannot forge."""
