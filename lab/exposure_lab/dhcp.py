"""The site's DHCP servers: Kea (with its control agent) and dnsmasq, the alternative backend.

Both serve 198.51.100.0/24 on the same LAN, each only to its own clients (see
LabConfig.KEA_CLIENT_MAC_PREFIX), so a test picks the backend by the MAC it leases with.
"""

from __future__ import annotations

import json
import secrets
import shutil
import urllib.request
from base64 import b64encode
from pathlib import Path
from typing import Any

from .config import LAN_V4
from .core import Lab, wait_for

KEA_HOOKS = Path("/usr/lib/x86_64-linux-gnu/kea/hooks")
KEA_CTRL_PORT = 8000


def _mac_hex(prefix: str) -> str:
    return "0x" + prefix.replace(":", "")


class Kea:
    name = "kea"

    def dir(self, lab: Lab) -> Path:
        return lab.config.service_dir("kea")

    def dhcp4_config(self, lab: Lab) -> dict[str, Any]:
        cfg, d = lab.config, self.dir(lab)
        first, last = cfg.dhcp_range
        mac_bytes = len(cfg.DNSMASQ_CLIENT_MAC_PREFIX.split(":"))
        return {"Dhcp4": {
            "interfaces-config": {"interfaces": ["eth0"], "dhcp-socket-type": "raw"},
            "control-socket": {"socket-type": "unix", "socket-name": str(d / "kea4.sock")},
            "lease-database": {"type": "memfile", "persist": True,
                               "name": str(d / "kea-leases4.csv"), "lfc-interval": 0},
            "hooks-libraries": [{"library": str(KEA_HOOKS / "libdhcp_lease_cmds.so")}],
            "valid-lifetime": 3600,
            "client-classes": [{
                # Kea's special DROP class: packets from dnsmasq's lab clients are not ours.
                "name": "DROP",
                "test": f"substring(pkt4.mac,0,{mac_bytes}) == "
                        f"{_mac_hex(cfg.DNSMASQ_CLIENT_MAC_PREFIX)}",
            }],
            "subnet4": [{
                "id": 1,
                "subnet": str(LAN_V4),
                "pools": [{"pool": f"{first} - {last}"}],
                "option-data": [{"name": "routers", "data": cfg.gateway_v4}],
                # A host reservation, so reservation code can prove it never touches one.
                "reservations": [{"hw-address": f"{cfg.KEA_CLIENT_MAC_PREFIX}:ff:01",
                                  "ip-address": str(LAN_V4.network_address + 90),
                                  "hostname": "printer"}],
            }],
            "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                         "output_options": [{"output": "stdout"}]}],
        }}

    def agent_config(self, lab: Lab, password: str) -> dict[str, Any]:
        d = self.dir(lab)
        return {"Control-agent": {
            "http-host": lab.config.dhcp.ipv4,
            "http-port": KEA_CTRL_PORT,
            "authentication": {"type": "basic", "realm": "kea-lab",
                               "clients": [{"user": "admin", "password": password}]},
            "control-sockets": {"dhcp4": {"socket-type": "unix",
                                          "socket-name": str(d / "kea4.sock")}},
            "loggers": [{"name": "kea-ctrl-agent", "severity": "INFO",
                         "output_options": [{"output": "stdout"}]}],
        }}

    def up(self, lab: Lab) -> None:
        d = self.dir(lab)
        info = lab.info(self.name)
        if lab.alive("kea-dhcp4") and lab.alive("kea-ctrl-agent") and info:
            return
        d.mkdir(parents=True, exist_ok=True)
        password = info.get("password") or secrets.token_urlsafe(18)
        dhcp4_conf, agent_conf = d / "kea-dhcp4.conf", d / "kea-ctrl-agent.conf"
        if not dhcp4_conf.exists():
            dhcp4_conf.write_text(json.dumps(self.dhcp4_config(lab), indent=2))
        agent_conf.write_text(json.dumps(self.agent_config(lab, password), indent=2))
        env = {"KEA_PIDFILE_DIR": str(d), "KEA_LOCKFILE_DIR": str(d)}
        netns = lab.config.dhcp.netns
        lab.run(["kea-dhcp4", "-t", str(dhcp4_conf)], netns=netns, env=env)
        lab.spawn("kea-dhcp4", ["kea-dhcp4", "-c", str(dhcp4_conf)], netns=netns, env=env)
        wait_for("kea-dhcp4 control socket", lambda: (d / "kea4.sock").exists(), timeout=15)
        lab.spawn("kea-ctrl-agent", ["kea-ctrl-agent", "-c", str(agent_conf)], netns=netns,
                  env=env)
        url = f"http://{lab.config.dhcp.ipv4}:{KEA_CTRL_PORT}/"
        lab.record(self.name, {
            "netns": netns, "dir": str(d), "url": url, "user": "admin", "password": password,
            "config": str(dhcp4_conf), "leases": str(d / "kea-leases4.csv"),
            "dynamic_range": "-".join(lab.config.dhcp_range),
            "client_mac_prefix": lab.config.KEA_CLIENT_MAC_PREFIX,
        })
        wait_for("kea-ctrl-agent answering", lambda: kea_command(lab, "version-get"), timeout=15)

    def down(self, lab: Lab) -> None:
        lab.stop("kea-ctrl-agent")
        lab.stop("kea-dhcp4")
        shutil.rmtree(self.dir(lab), ignore_errors=True)
        lab.forget(self.name)

    def status(self, lab: Lab) -> dict[str, Any]:
        info = {k: v for k, v in lab.info(self.name).items() if k != "password"}
        alive = {"kea-dhcp4": lab.alive("kea-dhcp4"), "kea-ctrl-agent": lab.alive("kea-ctrl-agent")}
        result: dict[str, Any] = {"up": all(alive.values()), "daemons": alive, **info}
        if result["up"]:
            try:
                result["version"] = kea_command(lab, "version-get").get("text")
            except OSError as exc:
                result["error"] = str(exc)
        return result


def kea_command(lab: Lab, command: str, arguments: dict[str, Any] | None = None,
                service: str = "dhcp4") -> dict[str, Any]:
    """One call to the control agent; returns the dhcp4 answer (result, text, arguments)."""
    info = lab.info("kea")
    body: dict[str, Any] = {"command": command, "service": [service]}
    if arguments is not None:
        body["arguments"] = arguments
    token = b64encode(f"{info['user']}:{info['password']}".encode()).decode()
    request = urllib.request.Request(
        info["url"], data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        answer: list[dict[str, Any]] = json.loads(response.read())
    return answer[0]


class Dnsmasq:
    name = "dnsmasq"

    def dir(self, lab: Lab) -> Path:
        return lab.config.service_dir("dnsmasq")

    def base_config(self, lab: Lab) -> str:
        cfg, d = lab.config, self.dir(lab)
        return "\n".join([
            "# dnsmasq for the exposure lab: DHCP only (port=0 turns DNS off).",
            "port=0",
            "interface=eth0",
            "bind-interfaces",
            # Without no-ping every new lease waits about 3 s for an ICMP echo.
            "no-ping",
            "dhcp-authoritative",
            f"dhcp-leasefile={d / 'dnsmasq.leases'}",
            f"dhcp-option=option:router,{cfg.gateway_v4}",
            # Answer only the lab's dnsmasq clients; Kea serves everyone else on this LAN.
            f"dhcp-mac=set:lab-dnsmasq,{cfg.DNSMASQ_CLIENT_MAC_PREFIX}:*:*",
            "dhcp-ignore=tag:!lab-dnsmasq",
            f"dhcp-hostsdir={d / 'hosts.d'}",
            # The dhcp-range lines live in their own file: that is what reservation manages.
            f"conf-dir={d / 'dnsmasq.d'},*.conf",
            "",
        ])

    def ranges_file(self, lab: Lab) -> Path:
        return self.dir(lab) / "dnsmasq.d" / "lan.conf"

    def up(self, lab: Lab) -> None:
        d = self.dir(lab)
        if lab.alive("dnsmasq") and lab.info(self.name):
            return
        (d / "dnsmasq.d").mkdir(parents=True, exist_ok=True)
        (d / "hosts.d").mkdir(exist_ok=True)
        conf = d / "dnsmasq.conf"
        conf.write_text(self.base_config(lab))
        if not self.ranges_file(lab).exists():
            first, last = lab.config.dhcp_range
            self.ranges_file(lab).write_text(
                f"dhcp-range=set:lan,{first},{last},{LAN_V4.netmask},1h\n"
            )
        self.start(lab)
        lab.record(self.name, {
            "netns": lab.config.dnsmasq.netns, "dir": str(d), "config": str(conf),
            "ranges_file": str(self.ranges_file(lab)), "leases": str(d / "dnsmasq.leases"),
            "dynamic_range": "-".join(lab.config.dhcp_range),
            "client_mac_prefix": lab.config.DNSMASQ_CLIENT_MAC_PREFIX,
            "restart_command": "exposure-lab restart dnsmasq",
        })

    def start(self, lab: Lab) -> None:
        conf = self.dir(lab) / "dnsmasq.conf"
        netns = lab.config.dnsmasq.netns
        lab.run(["dnsmasq", "--test", f"--conf-file={conf}"], netns=netns)
        # -k: stay in the foreground so the PID we record is dnsmasq's own.
        lab.spawn("dnsmasq", ["dnsmasq", "-k", f"--conf-file={conf}", "--pid-file=",
                              "--log-facility=-"], netns=netns)
        wait_for("dnsmasq listening on UDP 67", lambda: ":67 " in lab.run(
            ["ss", "-ulnH"], netns=netns, check=False).stdout, timeout=10)

    def restart(self, lab: Lab) -> None:
        """What a `dhcp-range` change needs (dnsmasq does not re-read ranges on SIGHUP)."""
        lab.stop("dnsmasq")
        self.start(lab)

    def down(self, lab: Lab) -> None:
        lab.stop("dnsmasq")
        shutil.rmtree(self.dir(lab), ignore_errors=True)
        lab.forget(self.name)

    def status(self, lab: Lab) -> dict[str, Any]:
        return {"up": lab.alive("dnsmasq"), **lab.info(self.name)}
