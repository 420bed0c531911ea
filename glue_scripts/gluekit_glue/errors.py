"""Errors as one line for a person: what Spark's deep Java stack traces boil down to."""

from __future__ import annotations


def describe_error(exc: BaseException) -> str:
    """The innermost Java cause of a Spark error ('java.io.EOFException: Unexpected end of input
    stream'), or the first line of a Python one."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            root = java
            while root.getCause() is not None and root.getCause() != root:
                root = root.getCause()
            return f"{root.getClass().getName()}: {root.getMessage()}"
        except Exception:  # a broken py4j link still leaves the Python text
            pass
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
