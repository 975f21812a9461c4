#!/usr/bin/env python3
"""17 TLS: the agent reaches the broker over TLS, verifying the server's certificate (issued by
the site's CA for 127.0.0.1) and presenting its own client certificate (the listener requires
one). An agent trusting another CA, or one without a client certificate, never connects: its
records stay in its outbox. The ingest uses the broker's plain loopback listener (the cloud side
of the broker), so the test also checks the agent's records arrive through TLS."""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, free_port, mosquitto_conf, port_open, run, wait_for  # noqa: E402

GOOD, ROGUE_CA, NO_CERT = "it-tls", "it-tls-rogue", "it-tls-nocert"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(d):
    """A site CA, the broker's certificate for 127.0.0.1, a device certificate, a rogue CA."""
    os.makedirs(d, exist_ok=True)
    for ca in ("ca", "rogue-ca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2", "-subj",
                f"/CN=Hoistway test {ca}", cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    with open(os.path.join(d, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for name, ext in (("server", "server.ext"), ("client", "client.ext")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", ext, cwd=d)
    return {n: os.path.join(d, n) for n in ("ca.crt", "rogue-ca.crt", "server.crt", "server.key",
                                            "client.crt", "client.key")}


def hoistctl_status(system, device):
    return system.hoistctl_ok("status", timeout=20,
                              socket=os.path.join(system.dir, f"hoistctl-{device}.sock"))


def scenario(system):
    pki = make_pki(os.path.join(system.dir, "pki"))
    for device in (GOOD, ROGUE_CA, NO_CERT):
        system.add_device(device, [f"{device.upper()}-1", f"{device.upper()}-2"])

    system.mqtt_port = free_port()  # plain, for the ingest
    tls_port = free_port()
    data = os.path.join(system.dir, "mosquitto-data")
    os.makedirs(data, exist_ok=True)
    conf = os.path.join(system.dir, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(mosquitto_conf(system.mqtt_port, data) + "\n".join([
            f"listener {tls_port} 127.0.0.1",
            f"cafile {pki['ca.crt']}",
            f"certfile {pki['server.crt']}",
            f"keyfile {pki['server.key']}",
            "require_certificate true",
            "tls_version tlsv1.2",
            ""]))
    system.start("mosquitto", ["mosquitto", "-c", conf])
    wait_for("both listeners", lambda: port_open(system.mqtt_port) and port_open(tls_port),
             timeout=10)
    system.start_ingest()

    tls = {
        GOOD: [f'ca_file = "{pki["ca.crt"]}"', f'cert_file = "{pki["client.crt"]}"',
               f'key_file = "{pki["client.key"]}"'],
        ROGUE_CA: [f'ca_file = "{pki["rogue-ca.crt"]}"', f'cert_file = "{pki["client.crt"]}"',
                   f'key_file = "{pki["client.key"]}"'],
        NO_CERT: [f'ca_file = "{pki["ca.crt"]}"'],
    }
    for device, lines in tls.items():
        _, sim_sock = system.start_sim(speedup="4", name=f"sim-{device}",
                                       extra=("--start-time", "08:30"))
        path = system.write_agent_config(device, sim_sock, extra="\n".join(["[mqtt.tls]", *lines]))
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace(f'uri = "tcp://127.0.0.1:{system.mqtt_port}"',
                                 f'uri = "ssl://127.0.0.1:{tls_port}"'))
        system.start_agent(device, sim_sock)

    good = wait_for("the TLS agent's records acknowledged",
                    lambda: (lambda s: s if s["broker"]["acked_through"] > 5 else None)(
                        hoistctl_status(system, GOOD)), timeout=40)
    check(good["broker"]["connected"] is True, f"the TLS agent is connected: {good['broker']}")
    _, _, body = system.http(f"/api/v1/units/{GOOD.upper()}-1/status")
    check(b"in_service" in body, f"its unit's status is served: {body[:200]!r}")

    for device in (ROGUE_CA, NO_CERT):
        status = hoistctl_status(system, device)
        check(status["broker"]["connected"] is False,
              f"{device} must not connect: {status['broker']}")
        check(not status["broker"]["acked_through"],
              f"{device} has nothing acknowledged: {status['broker']}")
        check(status["outbox"]["depth"] > 0, f"{device} keeps its records: {status['outbox']}")
    print(f"TLS: {GOOD} delivered through {good['broker']['acked_through']}; "
          f"a rogue CA and a missing client certificate were refused")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    sys.exit(run(scenario, args.bin, "tls"))
