"""Verdicts: the rules of each article applied to records, registers and git evidence."""
