#!/usr/bin/env python3
"""A stand-in for a webhook service on loopback: records every POST and answers 202.

Usage: record_posts.py PORT_FILE LOG_FILE
Binds 127.0.0.1 on a free port and writes the port to PORT_FILE once it listens; appends one
JSON line per POST to LOG_FILE: {"path": ..., "content_type": ..., "body": ...}. Runs until
killed. Used by tests/integration/ops_test.cpp for the hook recipes of docs/guide/operations.md.
"""
import http.server
import json
import os
import sys


class Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the handler's name is http.server's)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path,
                                  "content_type": self.headers.get("Content-Type", ""),
                                  "body": body}) + "\n")
        reply = b'{"status":"success","message":"Event processed"}'
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):  # quiet: the test reads LOG_FILE
        pass


def main():
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    temporary = sys.argv[1] + ".tmp"
    with open(temporary, "w", encoding="utf-8") as port_file:
        port_file.write(str(server.server_address[1]))
    os.rename(temporary, sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
