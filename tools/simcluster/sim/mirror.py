"""A site's HTTP package mirror, for tests: a static directory served over HTTP on an address of
the host (a cluster's management bridge, so only its nodes reach it), optionally behind HTTP basic
authentication as an air-gapped site's mirror usually is.  With credentials set, a request without
them, or with others, gets 401 and a WWW-Authenticate challenge, and nothing of the directory.
Every request is recorded (path, user it authenticated as or None, status)."""

import base64
import binascii
import functools
import http.server
import threading


class Mirror:
    def __init__(self, address, root, username=None, password=None):
        self.root = root
        self.credentials = (username, password) if username is not None else None
        self.requests = []          # paths asked for, in order (what the tests compare)
        self.log = []               # (path, user or None, status)
        mirror = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass                # recorded in log_request, the server stays quiet

            def log_request(self, code="-", size="-"):
                status = code.value if hasattr(code, "value") else code
                mirror.requests.append(self.path)
                mirror.log.append((self.path, getattr(self, "sim_user", None), int(status) if str(status).isdigit() else status))

            def _authorized(self):
                if mirror.credentials is None:
                    return True
                header = self.headers.get("Authorization") or ""
                scheme, dummy, blob = header.partition(" ")
                try:
                    user, dummy, password = base64.b64decode(blob.strip()).decode("utf-8").partition(":")
                except (binascii.Error, UnicodeDecodeError):
                    return False
                if scheme.lower() == "basic" and (user, password) == mirror.credentials:
                    self.sim_user = user
                    return True
                return False

            def _refuse(self):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="simcluster mirror"')
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                if self._authorized():
                    super().do_GET()
                else:
                    self._refuse()

            def do_HEAD(self):
                if self._authorized():
                    super().do_HEAD()
                else:
                    self._refuse()

        self.server = http.server.ThreadingHTTPServer((address, 0), functools.partial(Handler, directory=root))
        self.url = "http://%s:%d/" % (address, self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
