"""Deliberately broken parts, importable by the scanning process the tests start."""


def broken_scanner(*_args):
    raise RuntimeError("scanner exploded")


def broken_rule(ctx):
    raise RuntimeError("rule exploded")
    yield  # pragma: no cover


def dying_scanner(*_args):
    import os
    os._exit(3)
