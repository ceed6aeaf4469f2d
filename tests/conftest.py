from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "everyday-cc-ai"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real item files live beside the repo (their texts belong to their outlets, so never copied in)."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS} (CI always has it)")
    return CORPUS


@pytest.fixture
def write_item(tmp_path):
    """Write an item file with the given front matter text (or bytes) and return its path."""

    def write(text: str | bytes, name: str = "item.md") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path

    return write
