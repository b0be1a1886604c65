"""A tiny OpenAI-compatible server (stdlib http.server in a thread) whose failures a test scripts."""
from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAIServer:
    """Answers /v1/completions, /v1/chat/completions, /tokenize and /detokenize.

    `fail` is a queue of what the next requests get instead of an answer: (status, headers, body),
    "drop" (the connection is closed without an answer) or "hang" (no answer until `release`).
    `gate`, when set, is waited on before answering (to hold requests in flight). Every request is
    recorded in `seen` as (path, body, headers).
    """

    def __init__(self, tokenizer: bool = True, usage: bool = True) -> None:
        self.fail: deque = deque()
        self.seen: list[tuple[str, dict, dict]] = []
        self.gate: threading.Event | None = None
        self.release = threading.Event()
        self.tokenizer, self.usage = tokenizer, usage
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def answered(self, path: str) -> int:
        return sum(p == path for p, _, _ in self.seen)

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, path: str, body: dict) -> tuple[int, dict]:
        if path in ("/tokenize", "/detokenize") and not self.tokenizer:
            return 404, {"detail": "Not Found"}
        if path == "/tokenize":
            text = body.get("prompt") or "".join(f"<{m['role']}>{m['content']}" for m in body["messages"]) + "<a>"
            return 200, {"tokens": [ord(c) for c in text], "count": len(text), "max_model_len": 100}
        if path == "/detokenize":
            return 200, {"prompt": "".join(map(chr, body["tokens"]))}
        n = body.get("n", 1)
        chat = path == "/v1/chat/completions"
        choices = []
        for i in range(n):
            text = f"Thinking. \\boxed{{{i % 3}}}"
            # Like vLLM: the stop string that ended the sample, when one did.
            choice: dict = {"index": i, "finish_reason": "stop", "stop_reason": (body.get("stop") or [None])[0]}
            if chat:
                choice["message"] = {"role": "assistant", "content": text}
            else:
                choice["text"] = text
            if body.get("logprobs") is not None and body.get("logprobs") is not False:
                words = text.split(" ")
                if chat:
                    choice["logprobs"] = {"content": [{"token": w, "logprob": -0.5, "top_logprobs": [
                        {"token": "x", "logprob": -2.0}]} for w in words]}
                else:
                    choice["logprobs"] = {"tokens": words, "token_logprobs": [-0.5] * len(words),
                                          "top_logprobs": [{"x": -2.0} for _ in words]}
            choices.append(choice)
        data: dict = {"id": "cmpl-1", "object": "text_completion", "choices": choices}
        if self.usage:
            data["usage"] = {"prompt_tokens": 11, "completion_tokens": 7 * n, "total_tokens": 11 + 7 * n,
                             "prompt_tokens_details": {"cached_tokens": 4}}
        return 200, data

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with server._lock:
                    server.seen.append((self.path, body, dict(self.headers)))
                    scripted = server.fail.popleft() if server.fail else None
                if scripted == "drop":
                    self.close_connection = True
                    return
                if scripted == "hang":
                    server.release.wait(30)
                    self.close_connection = True
                    return
                if server.gate is not None:
                    server.gate.wait(30)
                if scripted is not None:
                    status, headers, payload = scripted
                else:
                    status, payload = server.answer(self.path, body)
                    headers = {}
                raw = json.dumps(payload).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler
