"""Files the export commands write: complete or not at all."""
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def file_replaced(path: Path):
    """A binary file beside `path` that becomes `path` once the block ends, and is removed if it fails: a refused
    or interrupted export leaves no half-written file (nor replaces a good one)."""
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as out:
            yield out
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
