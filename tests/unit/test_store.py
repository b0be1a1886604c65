from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.store import RequestMeta, Store


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
    store.set_verdicts([("a", 0, "42", True, ""), ("a", 1, None, False, "no answer")])
    assert store.ungraded("t", "sample") == []
    rows = store.completions("t", "sample")
    assert [(r.extracted, r.correct, r.verdict_reason) for r in rows] == [("42", True, ""), (None, False, "no answer")]


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
