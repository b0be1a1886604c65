import sqlite3
import zlib

from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.store import MIGRATIONS, RequestMeta, Store


def _result(key, n=2):
    return GenResult(key=key, prompt_tokens=11, cached_prompt_tokens=3,
                     outputs=tuple(GenOutput(f"text {i}", 5 + i, "stop") for i in range(n)))


def test_saved_requests_survive_reopening_and_are_reported_finished(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.save(_result("a"), RequestMeta("t", "sample", "p1", "h"))
    store.close()
    store = Store(tmp_path / "s.sqlite")
    assert store.finished_keys(["a", "b"]) == {"a"}
    rows = store.completions("t", "sample")
    assert [(r.sample, r.text, r.generated_tokens, r.prompt_tokens, r.cached_prompt_tokens) for r in rows] == [
        (0, "text 0", 5, 11, 3), (1, "text 1", 6, 11, 3)]
    assert all(r.correct is None for r in rows)


def test_verdicts_are_stored_and_graded_rows_leave_the_ungraded_list(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.save(_result("a"), RequestMeta("t", "sample", "p1", "h"))
    assert len(store.ungraded("t", "sample")) == 2
    store.set_verdicts([("a", 0, "42", True, "", "judge"), ("a", 1, None, False, "no answer", "rules")])
    assert store.ungraded("t", "sample") == []
    rows = store.completions("t", "sample")
    assert [(r.extracted, r.correct, r.verdict_reason, r.decided_by) for r in rows] == [
        ("42", True, "", "judge"), (None, False, "no answer", "rules")]


def test_a_request_is_stored_whole_or_not_at_all(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    store.save(_result("a"), RequestMeta("t", "sample", "p1", "h"))
    try:
        store.save(_result("a"), RequestMeta("t", "sample", "p1", "h"))  # duplicate key: rejected
    except Exception:
        pass
    assert len(store.completions("t", "sample")) == 2


def test_many_keys_are_looked_up_in_chunks(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    for i in range(1200):
        store.save(_result(f"k{i}", n=1), RequestMeta("t", "sample", f"p{i}", "h"))
    assert len(store.finished_keys([f"k{i}" for i in range(1500)])) == 1200


def test_texts_are_stored_compressed_and_read_back_whole(tmp_path):
    long = "Wait, let me check that again. " * 2000 + "\u00e9\u4e2d"
    store = Store(tmp_path / "s.sqlite")
    store.save(GenResult("a", 11, 0, (GenOutput(long, 9000, "length"),)), RequestMeta("t", "sample", "p1", "h"))
    assert store.completions("t", "sample")[0].text == long
    assert store.completions("t", "sample", texts=False)[0].text == ""
    assert store.ungraded("t", "sample")[0][3] == long
    assert store.results(["a"])["a"].outputs[0].text == long
    assert zlib.decompress(store.packed_texts(["a"])[("a", 0)]).decode() == long
    store.close()
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        (stored,) = db.execute("SELECT text FROM completions").fetchone()
    assert isinstance(stored, bytes) and len(stored) < len(long) / 20


def test_a_store_of_the_first_schema_opens_with_its_plain_texts(tmp_path):
    path = tmp_path / "old.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:  # as the first version wrote it: no later columns, plain text
        db.execute("ALTER TABLE requests DROP COLUMN compute")
        db.execute("ALTER TABLE completions DROP COLUMN score")
        db.execute("ALTER TABLE completions DROP COLUMN vote")
        db.execute("ALTER TABLE completions DROP COLUMN decided_by")
        db.execute("PRAGMA user_version = 0")
        db.execute("INSERT INTO requests VALUES ('a', 't', 'sample', 'p1', 'h', 11, 0, 1.0, 0)")
        db.execute("INSERT INTO completions VALUES ('a', 0, 't', 'sample', 'p1', 'h', 'old text', 5, 'stop',"
                   " '42', 1, 'equal')")
    store = Store(path)
    (row,) = store.completions("t", "sample")
    assert (row.text, row.extracted, row.correct, row.score, row.compute, row.vote, row.decided_by) == (
        "old text", "42", True, None, None, None, None)
    assert zlib.decompress(store.packed_texts(["a"])[("a", 0)]) == b"old text"
    store.save(_result("b"), RequestMeta("t", "sample", "p2", "h"))  # a resumed old run mixes both
    assert [r.text for r in store.completions("t", "sample")] == ["old text", "text 0", "text 1"]
    store.set_verdicts([("b", 0, "1", False, "", "judge")])
    assert [r.decided_by for r in store.completions("t", "sample")] == [None, "judge", None]
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)

