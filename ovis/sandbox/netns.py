"""The instance network wall: what this host offers for it, probed once at start-up.

Per-instance network namespaces are not built yet (issue #19, finding 4's network part): every
instance shares the host's network, so it can listen where the host can reach it and sees the
host's listeners in /proc/net/tcp. ``probe()`` says so in one start-up line, with what the host
has for the design in docs/security.md ("Network: not built yet"): `ip` for veth pairs, and
`iptables` or `nft` for NAT to the outside network (without either, namespaced instances could
reach the server but not the outside). Contract: cheap (a PATH lookup per tool), never raises.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkWall:
    isolated: bool  # True once instances get a network namespace of their own
    tools: tuple[str, ...]  # what of ip / iptables / nft the host has
    description: str


def probe() -> NetworkWall:
    tools = tuple(t for t in ("ip", "iptables", "nft") if shutil.which(t))
    nat = "iptables" in tools or "nft" in tools
    missing = [] if nat else ["no iptables or nft for NAT to the outside network"]
    if "ip" not in tools:
        missing.append("no ip for veth pairs")
    desc = (
        "network: instances share the host's network namespace [DEGRADED: per-instance network"
        " namespaces not built yet (docs/security.md)" + "".join(f"; {m}" for m in missing) + "]"
    )
    return NetworkWall(False, tools, desc)
