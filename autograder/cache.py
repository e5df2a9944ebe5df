"""Results computed ahead of ``nbgrader autograde``, for exactly one notebook and one grader.

``python -m autograder grade`` grades submissions concurrently (phase 1) and
stores, per student, what ``GradeInSandbox`` would have written: the outputs of
every code cell and the per-part results. ``nbgrader autograde`` then runs as
usual (phase 2, the only writer of ``gradebook.db``), and ``GradeInSandbox``
takes an entry instead of grading again only when

* the notebook it is given (after nbgrader's sanitising) has exactly the
  sha256 the entry was computed for, and
* the fingerprint of the grader matches: the source of the ``autograder``
  package that is grading, every ``GradeInSandbox`` limit, the Python and the
  versions of the packages that decide the examples and the references.

Anything else (no entry, an unreadable one, a mismatch) means: grade in-line,
as without a cache. Entries are written only by the grader process, in the
course folder, which no sandbox can see; a sandbox's outputs inside an entry
are the same validated data that in-line grading copies into the notebook.
"""
import hashlib
import json
import os
import platform
import sys
from importlib import metadata

import nbformat

VERSION = 1
#: Packages whose version changes examples, references or execution.
PACKAGES = ("hypothesis", "tensorflow-cpu", "tensorflow", "keras", "numpy", "pytest", "nbgrader",
            "nbformat", "nbclient", "ipykernel")
#: GradeInSandbox options that do not change a result.
NOT_FINGERPRINTED = {"use_cache", "cache_directory", "enabled"}
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def notebook_digest(nb):
    """sha256 of a notebook's canonical JSON (the notebook as the grader receives it)."""
    text = json.dumps(nb, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _code_digest():
    h = hashlib.sha256()
    for root, dirs, files in os.walk(PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                h.update(os.path.relpath(path, PACKAGE_DIR).encode() + b"\0")
                with open(path, "rb") as f:
                    h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def _versions():
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def options(preprocessor):
    """The GradeInSandbox options that decide results, as plain values."""
    return {name: getattr(preprocessor, name)
            for name in sorted(preprocessor.class_trait_names(config=True))
            if name not in NOT_FINGERPRINTED}


def fingerprint(preprocessor):
    """What decides a result besides the notebook: grader code, limits, environment."""
    data = {"cache_version": VERSION, "code": _code_digest(), "options": options(preprocessor),
            "python": sys.version, "prefix": os.path.realpath(sys.prefix), "machine": platform.machine(),
            "packages": _versions()}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def entry_path(directory, student, assignment, notebook):
    for part in (student, assignment, notebook):
        if not part or part in (".", "..") or "/" in part or "\0" in part:
            raise ValueError(f"unusable name for a cache entry: {part!r}")
    return os.path.join(directory, assignment, student, notebook + ".json")


def make_entry(nb_digest, fp, graded_nb, results):
    """An entry from a notebook graded by ``GradeInSandbox.grade``."""
    cells = [{"id": c.get("id"), "cell_type": c.cell_type,
              "outputs": c.get("outputs") if c.cell_type == "code" else None,
              "execution_count": c.get("execution_count") if c.cell_type == "code" else None}
             for c in graded_nb.cells]
    return {"version": VERSION, "notebook": nb_digest, "fingerprint": fp,
            "cells": cells, "results": results}


def write_entry(path, entry):
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(entry, f, ensure_ascii=False)
    os.replace(tmp, path)


def apply_entry(path, nb, fp, log=None):
    """Fill ``nb`` from the entry at ``path`` and return its results, or None to grade in-line.

    ``nb`` is left untouched unless the entry matches it and the grader exactly.
    """
    try:
        with open(path, encoding="utf-8") as f:
            entry = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        if log:
            log.warning("cache: unreadable entry %s (%s): grading in-line", path, exc)
        return None
    reason = None
    if not isinstance(entry, dict) or entry.get("version") != VERSION:
        reason = "another format"
    elif entry.get("fingerprint") != fp:
        reason = "computed by another grader (code, limits or environment differ)"
    elif entry.get("notebook") != notebook_digest(nb):
        reason = "computed for another notebook"
    elif not isinstance(entry.get("cells"), list) or len(entry["cells"]) != len(nb.cells) or any(
            not isinstance(e, dict) or e.get("id") != c.get("id") or e.get("cell_type") != c.cell_type
            for e, c in zip(entry["cells"], nb.cells)):
        reason = "cells do not line up"
    elif not isinstance(entry.get("results"), dict):
        reason = "no results"
    if reason is None:
        candidate = nbformat.from_dict(json.loads(json.dumps(nb)))
        for cell, saved in zip(candidate.cells, entry["cells"]):
            if cell.cell_type == "code":
                cell.outputs = nbformat.from_dict(saved.get("outputs") or [])
                cell.execution_count = saved.get("execution_count")
        try:
            nbformat.validate(candidate)
        except Exception as exc:  # a damaged entry: grade in-line instead
            reason = f"invalid outputs ({type(exc).__name__})"
    if reason is not None:
        if log:
            log.info("cache: entry %s not used: %s", path, reason)
        return None
    for cell, filled in zip(nb.cells, candidate.cells):
        if cell.cell_type == "code":
            cell.outputs = filled.outputs
            cell.execution_count = filled.execution_count
    return entry["results"]
