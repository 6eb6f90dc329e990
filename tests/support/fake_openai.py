"""A local HTTP server that speaks OpenAI's chat-completions API, standing in for the real service (which
this network cannot reach). The API key chooses its behaviour, so one server serves every test:

    sk-answer-<label>   a well-formed answer naming <label>
    sk-slow             answers only after the client's timeout
    sk-garbage          a 200 whose message is not the JSON asked for
    sk-refuse           a refusal
    sk-broken           a 500 error
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    requests_seen: list[dict] = []

    def log_message(self, *_args):
        pass

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        type(self).requests_seen.append({"path": self.path, "body": body})
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if key == "sk-slow":
            time.sleep(3)
        if key == "sk-broken":
            return self._send(500, {"error": {"message": "internal", "type": "server_error"}})
        message = {"role": "assistant", "content": None, "refusal": None}
        if key.startswith("sk-answer-"):
            message["content"] = json.dumps({"label": key.removeprefix("sk-answer-"), "confidence": 0.87})
        elif key == "sk-refuse":
            message["refusal"] = "I can't help with that."
        else:
            message["content"] = "Looks tasty! Probably some kind of fruit."
        self._send(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "gpt-4o"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            },
        )

    def _send(self, status: int, payload: dict):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeOpenAI:
    def __enter__(self) -> FakeOpenAI:
        _Handler.requests_seen = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def requests(self) -> list[dict]:
        return _Handler.requests_seen

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()
