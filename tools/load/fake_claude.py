#!/usr/bin/env python3
"""A local fake of the Anthropic Messages API for tools/bench-load.sh: answers every
`POST /v1/messages` at once with the forced tool call, as Claude would (an empty intent; the
rerank candidates in the order given). The engine caches the answers, so after a warm-up the
load run measures searches served from Claude's cache.

    python3 tools/load/fake_claude.py PORT
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EMPTY_INTENT = {
    "category": None, "productType": None, "minPrice": None, "maxPrice": None,
    "colors": [], "materials": [], "styles": [], "rooms": [], "inStock": None,
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        tool = body["tool_choice"]["name"]
        if tool == "record_ranking":
            payload = json.loads(body["messages"][0]["content"])
            ids = [c["id"] for c in payload["candidates"]]
            answer = {"ranking": [{"id": i, "score": 1 - n / max(len(ids), 1)} for n, i in enumerate(ids)]}
        else:
            answer = EMPTY_INTENT
        out = json.dumps({
            "id": "msg_load", "type": "message", "role": "assistant", "model": "fake",
            "content": [{"type": "tool_use", "id": "toolu_load", "name": tool, "input": answer}],
            "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1},
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
