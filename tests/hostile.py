"""Helpers shared by the hostile-input test modules: what a folder holds, and the one-line refusal check."""

import hashlib
import os
from pathlib import Path

from typer.testing import CliRunner

from wfm.cli import app

runner = CliRunner()


def tree(root: Path) -> dict:
    """Every file (hash) and folder (None) under ``root``, hidden ones included."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return out


def hidden(root: Path) -> list[str]:
    """Hidden files and folders under ``root`` (staging debris)."""
    return [k for k in tree(root) if any(part.startswith(".") for part in Path(k).parts)]


def digest(*paths) -> dict:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def refused_cli(args, inputs=(), outputs=(), width: int = 200) -> str:
    """Run ``wfm args``; assert exit 2, one non-empty line, inputs and earlier outputs byte for byte unchanged;
    return the line."""
    before = digest(*inputs, *outputs)
    r = runner.invoke(app, [str(a) for a in args], terminal_width=width)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    assert "Traceback" not in r.output and "internal error" not in r.output
    assert digest(*inputs, *outputs) == before
    return lines[0]
