"""Finding item files (articles.ingest.batch.find_item_files): which files, in which order, at what memory cost."""

import os
import tracemalloc

import pytest

from articles.ingest.batch import find_item_files


def test_item_files_are_md_files_in_a_stable_order_without_symlinks(tmp_path):
    for name in ["b/2.md", "a/1.md", "a/notes.txt", "top.md", "a/deeper/0.md"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("---\n---\n")
    os.symlink(tmp_path / "a" / "1.md", tmp_path / "link.md")
    os.symlink(tmp_path / "b", tmp_path / "linked-dir")
    single = tmp_path / "a" / "notes.txt"  # a file named on the command line is taken as it is
    files = find_item_files([tmp_path, single])
    expected = [str(tmp_path / name) for name in ["a/1.md", "a/deeper/0.md", "b/2.md", "top.md"]] + [str(single)]
    assert list(files) == expected
    assert list(files) == expected  # each pass walks the same files again
    assert len(files) == 5


def test_a_missing_path_is_refused_before_anything_is_walked(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-dir: no such file or directory"):
        find_item_files([tmp_path, tmp_path / "no-such-dir"])


def test_the_paths_of_a_large_batch_are_not_held_in_memory(tmp_path):
    # A million paths in a list take about 190 MB; here 5,000 would take about 1 MB.
    for month in range(50):
        directory = tmp_path / f"{month:02d}"
        directory.mkdir()
        for n in range(100):
            (directory / f"{n:03d}-a-headline-long-enough-to-look-like-the-generated-ones-{'x' * 60}.md").touch()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        files = find_item_files([tmp_path])
        held = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert len(files) == 5000
    assert held < 100_000, f"{held:,} bytes held for {len(files)} paths"
    assert sum(1 for _ in files) == 5000
