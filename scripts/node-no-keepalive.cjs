// Preloaded into the Firebase emulators' Node process by scripts/stack.py (NODE_OPTIONS=--require ...).
//
// Why: Node 20's default HTTP agent keeps idle sockets for 5 s, and the functions emulator sends each request to
// the Python worker (functions-framework under gunicorn) through it. gunicorn closes an idle kept-alive connection
// after 2 s. A request written onto a socket in the instant gunicorn closes it fails with ECONNRESET; the emulator
// then answers 500 {"code":"ECONNRESET"} and kills the worker, so the next call pays a cold start. Rare, load
// dependent, and it surfaced as flaky tests. Production has no such hop (Cloud Run's front end talks to the
// container), so the emulators simply open a fresh localhost connection per request.
const http = require("node:http");

http.globalAgent = new http.Agent({ keepAlive: false });
