"""A real SMTP server for the tests: aiosmtpd with STARTTLS required and
AUTH (PLAIN, LOGIN) against one user. Prints "READY <port>" once it
listens, then one JSON line per message received."""
import json
import socket
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

cert, key, user, password = sys.argv[1:5]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "user": session.auth_data.login.decode() if session.auth_data else None,
            "tls": session.ssl is not None,
            "data": envelope.content.decode("utf-8", "replace"),
        }), flush=True)
        return "250 OK queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
controller = Controller(
    Handler(), hostname="127.0.0.1", port=port, tls_context=context,
    require_starttls=True, authenticator=authenticator, auth_required=True,
)
controller.start()
print(f"READY {port}", flush=True)
try:
    while sys.stdin.read(1):
        pass
finally:
    controller.stop()
