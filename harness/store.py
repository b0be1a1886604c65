"""The run store: every finished request is on disk (SQLite, WAL) before anything downstream sees it.

A request is stored with all of its samples in one transaction, so a killed run never leaves half a
pool; a restarted run asks `finished_keys` and sends only what is missing.

Completion texts are most of a run's bytes (64 samples of 8k-token traces are about 2 MB per problem),
so each is stored zlib-compressed as a BLOB; run folders written before that keep plain TEXT, and
both read back the same. zlib because the report hands the stored bytes to the browser as they are
(its DecompressionStream reads "deflate", the zlib format).
"""
from __future__ import annotations

import json
import sqlite3
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from thinkbench.harness.engine.base import GenOutput, GenResult
from thinkbench.harness.types import CompletionRow, Problem

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,          -- task/strategy/problem/prompt-hash: one engine request
    task TEXT NOT NULL,
    strategy TEXT NOT NULL,
    problem_id TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    cached_prompt_tokens INTEGER,
    wall_seconds REAL NOT NULL,
    finished_at REAL NOT NULL,
    compute TEXT                   -- JSON: the work a request stands for beyond its own tokens (search, scoring)
);
CREATE TABLE IF NOT EXISTS completions (
    key TEXT NOT NULL REFERENCES requests(key),
    sample INTEGER NOT NULL,
    task TEXT NOT NULL,
    strategy TEXT NOT NULL,
    problem_id TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    text TEXT NOT NULL,            -- zlib-compressed UTF-8 (a BLOB); plain TEXT in older run folders
    generated_tokens INTEGER NOT NULL,
    finish_reason TEXT NOT NULL,
    extracted TEXT,
    correct INTEGER,               -- NULL until graded
    verdict_reason TEXT,
    score REAL,                    -- a scorer's value of this completion, when a strategy scores
    -- decided_by TEXT (MIGRATIONS): who decided the verdict, "rules" or "judge" (the answer judge)
    PRIMARY KEY (key, sample)
);
-- Added by MIGRATIONS: completions.vote TEXT, the answer's vote group among its problem's answers
-- (verifiers.grading.vote_groups; NULL without an answer, or not grouped yet).
-- The problems and prompts of the run, so a report or a re-grade needs nothing but the run folder.
CREATE TABLE IF NOT EXISTS problems (
    task TEXT NOT NULL,
    problem_id TEXT NOT NULL,
    gold TEXT NOT NULL,
    meta TEXT NOT NULL,            -- JSON
    PRIMARY KEY (task, problem_id)
);
CREATE TABLE IF NOT EXISTS prompts (prompt_hash TEXT PRIMARY KEY, messages TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (at REAL NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
-- Scorer verdicts, so a resumed run never scores a candidate twice: per-step values and what they cost.
CREATE TABLE IF NOT EXISTS scores (
    scorer TEXT NOT NULL,          -- the scorer's identity (name, model, options)
    task TEXT NOT NULL,
    problem_id TEXT NOT NULL,
    candidate TEXT NOT NULL,       -- digest of the candidate's text
    steps TEXT NOT NULL,           -- JSON list of per-step values
    cost TEXT NOT NULL,            -- JSON: tokens, calls and FLOPs spent scoring it
    PRIMARY KEY (scorer, task, problem_id, candidate)
);
"""


# Level 6: 20 MB/s on one slow core, within 1% of level 9's size on model output.
_ZLIB_LEVEL = 6


def pack_text(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"), _ZLIB_LEVEL)


def unpack_text(stored: str | bytes) -> str:
    """A completion's text as stored: compressed bytes, or plain text from an older run folder."""
    return stored if isinstance(stored, str) else zlib.decompress(stored).decode("utf-8")


def _add_column(table: str, column: str, kind: str) -> Callable[[sqlite3.Connection], None]:
    def apply(db: sqlite3.Connection) -> None:
        # Folders from before schema versions may have the column already.
        if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    return apply


# Changes after the first schema, in order: a store at PRAGMA user_version v gets MIGRATIONS[v:] on
# open, in one transaction, so any older run folder opens. A new column is one more entry here and
# in _SCHEMA's comments (_SCHEMA is the first version: new columns do not go there).
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _add_column("requests", "compute", "TEXT"),
    _add_column("completions", "score", "REAL"),
    _add_column("completions", "vote", "TEXT"),
    _add_column("completions", "decided_by", "TEXT"),
)


@dataclass(frozen=True)
class RequestMeta:
    task: str
    strategy: str
    problem_id: str
    prompt_hash: str
    messages: tuple = ()  # (role, content) pairs, kept once per prompt hash
    compute: dict | None = None  # stored with the request (see the `compute` column)
    scores: tuple = ()  # per sample, stored with the completions when given


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        # Small pages for a new store: a compressed text overflows into a chain of pages whose last
        # one is half empty on average; 1 kB pages keep that waste near 1% of the text, 4 kB near 4%.
        self._db.execute("PRAGMA page_size=1024")
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a finished request survives power loss, not only a killed process.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version >= len(MIGRATIONS):
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            (version,) = self._db.execute("PRAGMA user_version").fetchone()  # another process may have done it
            for migration in MIGRATIONS[version:]:
                migration(self._db)
            self._db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    def finished_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT key FROM requests WHERE key IN ({','.join('?' * len(chunk))})"
            found.update(k for (k,) in self._db.execute(q, chunk))
        return found

    def save_problems(self, problems: Iterable[Problem]) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO problems VALUES (?,?,?,?)",
                [(p.task, p.id, p.gold, json.dumps(p.meta, default=str)) for p in problems])

    def problems(self, task: str) -> dict[str, tuple[str, dict]]:
        """problem id -> (gold, meta)."""
        cur = self._db.execute("SELECT problem_id, gold, meta FROM problems WHERE task=?", (task,))
        return {pid: (gold, json.loads(meta)) for pid, gold, meta in cur}

    def prompt(self, prompt_hash: str) -> list[tuple[str, str]] | None:
        row = self._db.execute("SELECT messages FROM prompts WHERE prompt_hash=?", (prompt_hash,)).fetchone()
        return None if row is None else [tuple(m) for m in json.loads(row[0])]

    def save(self, result: GenResult, meta: RequestMeta) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT OR IGNORE INTO prompts VALUES (?,?)",
                             (meta.prompt_hash, json.dumps(list(meta.messages))))
            self._db.execute(
                "INSERT INTO requests (key, task, strategy, problem_id, prompt_hash, prompt_tokens,"
                " cached_prompt_tokens, wall_seconds, finished_at, compute) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (result.key, meta.task, meta.strategy, meta.problem_id, meta.prompt_hash, result.prompt_tokens,
                 result.cached_prompt_tokens, result.wall_seconds, time.time(),
                 None if meta.compute is None else json.dumps(meta.compute)),
            )
            scores = meta.scores or (None,) * len(result.outputs)
            self._db.executemany(
                "INSERT INTO completions (key, sample, task, strategy, problem_id, prompt_hash, text,"
                " generated_tokens, finish_reason, score) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(result.key, i, meta.task, meta.strategy, meta.problem_id, meta.prompt_hash, pack_text(o.text),
                  o.tokens, o.finish_reason, score) for i, (o, score) in enumerate(zip(result.outputs, scores))],
            )

    def ungraded(self, task: str, strategy: str) -> list[tuple[str, int, str, str, str]]:
        """(key, sample, problem_id, text, finish_reason) of completions without a verdict yet."""
        return [(key, sample, pid, unpack_text(text), finish) for key, sample, pid, text, finish in self._db.execute(
            "SELECT key, sample, problem_id, text, finish_reason FROM completions"
            " WHERE task=? AND strategy=? AND correct IS NULL",
            (task, strategy))]

    def set_verdicts(self, rows: Iterable[tuple[str, int, str | None, bool, str, str]]) -> None:
        """rows of (key, sample, extracted, correct, reason, decided_by)."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "UPDATE completions SET extracted=?, correct=?, verdict_reason=?, decided_by=?"
                " WHERE key=? AND sample=?",
                [(ext, int(ok), reason, by, key, sample) for key, sample, ext, ok, reason, by in rows])

    def ungrouped(self, task: str, strategy: str) -> list[tuple[str, int, str, str]]:
        """(key, sample, problem_id, extracted) of answers not in a vote group yet, in the order stored."""
        return list(self._db.execute(
            "SELECT key, sample, problem_id, extracted FROM completions"
            " WHERE task=? AND strategy=? AND extracted IS NOT NULL AND vote IS NULL ORDER BY rowid",
            (task, strategy)))

    def vote_groups(self, task: str, strategy: str) -> dict[str, list[str]]:
        """problem_id -> its vote groups so far, in the order they were first given."""
        groups: dict[str, list[str]] = {}
        for pid, vote in self._db.execute(
                "SELECT problem_id, vote FROM completions WHERE task=? AND strategy=? AND vote IS NOT NULL"
                " GROUP BY problem_id, vote ORDER BY MIN(rowid)", (task, strategy)):
            groups.setdefault(pid, []).append(vote)
        return groups

    def set_votes(self, rows: Iterable[tuple[str, int, str]]) -> None:
        """rows of (key, sample, vote group)."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("UPDATE completions SET vote=? WHERE key=? AND sample=?",
                                 [(vote, key, sample) for key, sample, vote in rows])

    def completions(self, task: str, strategy: str, texts: bool = True) -> list[CompletionRow]:
        """Every completion of a task x strategy; with texts=False each text is "" (a pool of long
        traces is gigabytes of text; what is about the samples, not their words, needs none of it)."""
        text = "c.text" if texts else "''"
        cur = self._db.execute(
            f"SELECT c.key, c.sample, c.task, c.strategy, c.problem_id, c.prompt_hash, {text},"
            " c.generated_tokens, c.finish_reason, c.extracted, c.correct, c.verdict_reason, r.prompt_tokens,"
            " r.cached_prompt_tokens, r.wall_seconds, c.score, r.compute, c.vote, c.decided_by"
            " FROM completions c JOIN requests r USING (key) WHERE c.task=? AND c.strategy=?"
            " ORDER BY c.problem_id, c.key, c.sample", (task, strategy))
        return [CompletionRow(*row[:6], unpack_text(row[6]), *row[7:10], None if row[10] is None else bool(row[10]),
                              *row[11:16], None if row[16] is None else json.loads(row[16]), *row[17:19]) for row in cur]

    def packed_texts(self, keys: Iterable[str]) -> dict[tuple[str, int], bytes]:
        """(key, sample) -> the zlib-compressed text of every completion of these requests, as stored
        (texts of older run folders compressed here), for readers that pass them on unread."""
        keys = list(keys)
        found: dict[tuple[str, int], bytes] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            found.update(((key, sample), pack_text(text) if isinstance(text, str) else text) for key, sample, text in
                         self._db.execute(f"SELECT key, sample, text FROM completions WHERE key IN "
                                          f"({','.join('?' * len(chunk))})", chunk))
        return found

    def results(self, keys: Iterable[str]) -> dict[str, GenResult]:
        """Finished requests as the engine gave them (texts and token counts; no token ids or
        logprobs), so a resumed search can rebuild its tree without the engine."""
        keys = list(keys)
        found: dict[str, GenResult] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            heads = {k: (p, c, w) for k, p, c, w in self._db.execute(
                f"SELECT key, prompt_tokens, cached_prompt_tokens, wall_seconds FROM requests WHERE key IN ({marks})",
                chunk)}
            outputs: dict[str, list[GenOutput]] = {k: [] for k in heads}
            for k, text, tokens, reason in self._db.execute(
                    f"SELECT key, text, generated_tokens, finish_reason FROM completions WHERE key IN ({marks})"
                    " ORDER BY key, sample", chunk):
                outputs[k].append(GenOutput(text=unpack_text(text), tokens=tokens, finish_reason=reason))
            for k, (prompt, cached, wall) in heads.items():
                found[k] = GenResult(k, prompt, cached, tuple(outputs[k]), wall)
        return found

    def set_scores(self, key: str, scores: list[float], compute: dict) -> None:
        """Scores of a stored request's samples (in sample order) and the compute they cost."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("UPDATE completions SET score=? WHERE key=? AND sample=?",
                                 [(s, key, i) for i, s in enumerate(scores)])
            self._db.execute("UPDATE requests SET compute=? WHERE key=?", (json.dumps(compute), key))

    def cached_scores(self, scorer: str, task: str, problem_id: str, candidates: Iterable[str]
                      ) -> dict[str, tuple[list[float], dict]]:
        """candidate digest -> (per-step values, cost) for those already scored."""
        candidates = list(candidates)
        found: dict[str, tuple[list[float], dict]] = {}
        for i in range(0, len(candidates), 500):
            chunk = candidates[i:i + 500]
            found.update((c, (json.loads(steps), json.loads(cost))) for c, steps, cost in self._db.execute(
                f"SELECT candidate, steps, cost FROM scores WHERE scorer=? AND task=? AND problem_id=?"
                f" AND candidate IN ({','.join('?' * len(chunk))})", (scorer, task, problem_id, *chunk)))
        return found

    def save_scores(self, scorer: str, rows: Iterable[tuple[str, str, str, list[float], dict]]) -> None:
        """rows of (task, problem_id, candidate digest, per-step values, cost)."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?,?)",
                                 [(scorer, task, pid, cand, json.dumps(steps), json.dumps(cost))
                                  for task, pid, cand, steps, cost in rows])

    def log(self, kind: str, detail: str) -> None:
        self._db.execute("INSERT INTO events VALUES (?,?,?)", (time.time(), kind, detail))

    def events(self, kind: str) -> list[str]:
        return [d for (d,) in self._db.execute("SELECT detail FROM events WHERE kind=? ORDER BY at", (kind,))]

    def close(self) -> None:
        self._db.close()
