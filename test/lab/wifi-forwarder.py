#!/usr/bin/env python3
"""A lossy, slow link in user space: the lab's stand-in for a device on Wi-Fi.

The kernels the lab runs on lack sch_netem, so tc cannot add delay or loss. Instead this creates
two TUN devices and copies IP packets between them, holding each one for a random delay and
dropping a few. up.sh moves the device-side TUN into the device's namespace (a TUN keeps working
after it moves; the file descriptor stays here) and routes the device's /24 through the
harness-side TUN. Only the Python standard library is used.

Every packet, in each direction, waits DELAY +/- JITTER ms (uniform) and is dropped with
probability LOSS. Each direction has its own generator seeded from --seed, so a run that sends
the same packets drops the same ones. Packets leave in the order they came (a packet never
overtakes the one before it), as on a real radio link where the jitter comes from retries.

Defence in depth for the lab's one hard rule: only IPv4 packets whose source and destination
both lie in 198.18.0.0/15 are forwarded; anything else (IPv6, stray traffic) is dropped.
"""

import argparse
import collections
import fcntl
import json
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MAX_PACKET = 65535

LAB_NET = (198 << 24) | (18 << 16)  # 198.18.0.0
LAB_MASK = 0xFFFE0000  # /15


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def in_lab(packet: bytes) -> bool:
    """An IPv4 packet from and to 198.18.0.0/15; nothing else may cross the link."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return False
    src, dst = struct.unpack_from("!II", packet, 12)
    return (src & LAB_MASK) == LAB_NET and (dst & LAB_MASK) == LAB_NET


class Stop(Exception):
    """SIGTERM or SIGINT: leave the loop at once, whatever select() was waiting for."""


class LinkGone(Exception):
    """One of the TUN devices no longer exists."""


class Direction:
    """One way across the link: its own random stream and its queue of packets in flight."""

    def __init__(self, name: str, src: int, dst: int, seed: int, args: argparse.Namespace):
        self.name, self.src, self.dst = name, src, dst
        self.rng = random.Random(seed)
        self.delay = args.delay_ms / 1000.0
        self.jitter = args.jitter_ms / 1000.0
        self.loss = args.loss
        self.queue: collections.deque = collections.deque()  # (due, packet), due never decreases
        self.last_due = 0.0
        self.counts = {"forwarded": 0, "lost": 0, "refused": 0}

    def take(self, now: float) -> None:
        """Read what is waiting on the source TUN and schedule it."""
        while True:
            try:
                packet = os.read(self.src, MAX_PACKET)
            except BlockingIOError:
                return
            except OSError as e:
                # EBADFD: the TUN was destroyed under us (its namespace was deleted)
                raise LinkGone(f"{self.name}: {e.strerror}") from e
            if not in_lab(packet):
                self.counts["refused"] += 1
                continue
            # Draw both numbers for every packet so the loss pattern does not depend on timing
            lost = self.rng.random() < self.loss
            delay = self.rng.uniform(self.delay - self.jitter, self.delay + self.jitter)
            if lost:
                self.counts["lost"] += 1
                continue
            due = max(now + delay, self.last_due)
            self.last_due = due
            self.queue.append((due, packet))

    def deliver(self, now: float) -> None:
        while self.queue and self.queue[0][0] <= now:
            _, packet = self.queue.popleft()
            try:
                os.write(self.dst, packet)
                self.counts["forwarded"] += 1
            except OSError:
                # The far side is down or its queue is full: a radio would lose it too
                self.counts["lost"] += 1

    def next_due(self) -> float | None:
        return self.queue[0][0] if self.queue else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--harness-tun", required=True, help="TUN left in this namespace (harness side)")
    parser.add_argument("--device-tun", required=True, help="TUN that up.sh moves into the device's namespace")
    parser.add_argument("--delay-ms", type=float, default=20.0)
    parser.add_argument("--jitter-ms", type=float, default=5.0)
    parser.add_argument("--loss", type=float, default=0.02, help="drop probability per packet, 0..1")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ready-file", help="written once both TUNs exist")
    parser.add_argument("--stats-file", help="JSON counts per direction, rewritten at most twice a second")
    args = parser.parse_args()
    if not 0 <= args.jitter_ms <= args.delay_ms or not 0 <= args.loss < 1:
        parser.error("need 0 <= jitter <= delay and 0 <= loss < 1")

    harness = open_tun(args.harness_tun)
    device = open_tun(args.device_tun)
    directions = [
        Direction("to-device", harness, device, args.seed * 2, args),
        Direction("to-harness", device, harness, args.seed * 2 + 1, args),
    ]
    by_fd = {d.src: d for d in directions}

    def stop(signum, _frame):
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write(f"{os.getpid()}\n")
    print(f"wifi-forwarder: {args.harness_tun} <-> {args.device_tun}, delay {args.delay_ms}+/-{args.jitter_ms} ms, "
          f"loss {args.loss:.1%}, seed {args.seed}", file=sys.stderr, flush=True)

    def write_stats() -> None:
        if not args.stats_file:
            return
        tmp = args.stats_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({d.name: d.counts for d in directions}, f)
        os.replace(tmp, args.stats_file)  # readers never see half a file

    status = 0
    stats_written = 0.0
    dirty = False
    try:
        while True:
            now = time.monotonic()
            dues = [d for d in (x.next_due() for x in directions) if d is not None]
            # Idle, wake up now and then so the last counts reach the stats file
            timeout = max(0.0, min(dues) - now) if dues else 0.5
            readable, _, _ = select.select(list(by_fd), [], [], timeout)
            now = time.monotonic()
            for fd in readable:
                by_fd[fd].take(now)
            for d in directions:
                d.deliver(time.monotonic())
            dirty = dirty or bool(readable)
            if dirty and now - stats_written >= 0.5:
                write_stats()
                stats_written, dirty = now, False
    except Stop as why:
        print(f"wifi-forwarder: stopping on {why}", file=sys.stderr)
    except LinkGone as why:
        print(f"wifi-forwarder: link gone ({why}), stopping", file=sys.stderr)
        status = 1

    write_stats()
    for d in directions:
        print(f"wifi-forwarder: {d.name}: {d.counts}", file=sys.stderr, flush=True)
    # Closing the descriptors removes both TUN devices, wherever they live now
    os.close(harness)
    os.close(device)
    return status


if __name__ == "__main__":
    sys.exit(main())
