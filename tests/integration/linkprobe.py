"""Reads a controller's group state over the controller link, with nothing but flatc: the
request is built from JSON and the response decoded to JSON by flatc against schemas/."""

import json
import os
import socket
import struct
import subprocess
import tempfile

from harness import SOURCE

SCHEMAS = os.path.join(SOURCE, "schemas")
_request = None


def _flatc(args, cwd):
    subprocess.run(["flatc", "-I", SCHEMAS, *args], check=True, capture_output=True, cwd=cwd)


def _build_request(work):
    global _request
    if _request is None:
        with open(os.path.join(work, "request.json"), "w") as f:
            f.write('{"kind": "read_state"}')
        _flatc(["-b", "--root-type", "hoistway.link.Request", "-o", work,
                os.path.join(SCHEMAS, "controller_link.fbs"), os.path.join(work, "request.json")], work)
        with open(os.path.join(work, "request.bin"), "rb") as f:
            _request = f.read()
    return _request


def _recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("controller closed the connection")
        data += chunk
    return data


def read_group(socket_path):
    with tempfile.TemporaryDirectory() as work:
        request = _build_request(work)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(socket_path)
            s.sendall(struct.pack("<I", len(request)) + request)
            (length,) = struct.unpack("<I", _recv_exact(s, 4))
            response = _recv_exact(s, length)
        with open(os.path.join(work, "response.bin"), "wb") as f:
            f.write(response)
        _flatc(["--json", "--strict-json", "--defaults-json", "-o", work,
                os.path.join(SCHEMAS, "controller_link.fbs"), "--",
                os.path.join(work, "response.bin")], work)
        with open(os.path.join(work, "response.json")) as f:
            decoded = json.load(f)
    state = decoded["state"]
    return {"cars": sorted(state["cars"], key=lambda c: c["car"])}
