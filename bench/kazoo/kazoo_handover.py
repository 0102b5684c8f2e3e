#!/usr/bin/python3
"""kazoo's Lock handover between two processes, the peer our failover figures are compared with.

Debian's python3-kazoo (call /usr/bin/python3: another python3 on PATH may not see it) against a
running ZooKeeper (--zk). Three figures, each as per-run p50/p99 and their medians over the runs:
  clean: the holder process calls lock.release() -> the waiting process's acquire() returns;
  close: the holder process closes its session (client.stop()) -> the waiter's acquire() returns;
  kill:  the holder process is SIGKILLed -> the waiter's acquire() returns (the holder's session
         must expire first: --session-timeout-s, the same as our daemons' 2 s).
Both sides take time.monotonic() (CLOCK_MONOTONIC, one clock for every process on the machine).
The holder is this script run again with --holder; it talks to the coordinator over stdin/stdout.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient

ME = os.path.abspath(__file__)


def percentile(values, p):
    """Nearest rank, as bench/common/stats.hpp does it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = int(p / 100.0 * (len(ordered) - 1) + 0.5)
    return ordered[min(index, len(ordered) - 1)]


def connect(hosts, timeout_s):
    client = KazooClient(hosts=hosts, timeout=timeout_s)
    client.start(timeout=15)
    return client


def run_holder(args):
    """Holder side: 'acquire' -> takes the lock and answers 'held'; 'release' -> answers the
    monotonic time just before lock.release(); 'close' -> the same before client.stop(), then
    exits; end of input -> exits."""
    client = connect(args.zk, args.session_timeout_s)
    lock = client.Lock(args.path, "holder")
    print("ready %d" % os.getpid(), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "acquire":
            lock.acquire(timeout=30)
            print("held", flush=True)
        elif command == "release":
            at = time.monotonic()
            lock.release()
            print("released %.9f" % at, flush=True)
        elif command == "close":
            at = time.monotonic()
            client.stop()
            print("released %.9f" % at, flush=True)
            client.close()
            return
    client.stop()
    client.close()


class Holder:
    def __init__(self, args, path):
        self.process = subprocess.Popen(
            [sys.executable, ME, "--holder", "--zk", args.zk, "--path", path,
             "--session-timeout-s", str(args.session_timeout_s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.expect("ready")

    def expect(self, word):
        line = self.process.stdout.readline()
        if not line.startswith(word):
            raise RuntimeError("holder said %r, expected %r" % (line, word))
        return line.split()[1:] if len(line.split()) > 1 else []

    def tell(self, command, answer):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.expect(answer)

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait()


def wait_for(condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.002)


def acquire_in_background(lock):
    """Starts lock.acquire() in a thread; returns a dict that gets 'at' (monotonic) once held."""
    result = {}

    def body():
        ok = lock.acquire(timeout=60)
        result["at"] = time.monotonic()
        result["ok"] = ok

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    result["thread"] = thread
    return result


def clean_run(args, client, rounds):
    """One holder process for the run; this process is the waiter each round."""
    path = "%s/clean-%s" % (args.root, uuid.uuid4().hex)
    client.ensure_path(path)
    holder = Holder(args, path)
    samples = []
    try:
        for _ in range(rounds + 2):  # the first two rounds warm up and are not counted
            holder.tell("acquire", "held")
            lock = client.Lock(path, "waiter")
            waiting = acquire_in_background(lock)
            wait_for(lambda: len(client.get_children(path)) == 2, 10, "the waiter to queue")
            released_at = float(holder.tell("release", "released")[0])
            waiting["thread"].join(30)
            if not waiting.get("ok"):
                raise RuntimeError("the waiter did not get the lock after a clean release")
            samples.append((waiting["at"] - released_at) * 1000.0)
            lock.release()
    finally:
        holder.close()
    client.delete(path, recursive=True)
    return samples[2:]


def one_holder_per_round(args, client, rounds, end):
    """A new holder process each round, ended by `end(holder)`, which returns the monotonic time
    the ending started."""
    samples = []
    for _ in range(rounds):
        path = "%s/kill-%s" % (args.root, uuid.uuid4().hex)
        client.ensure_path(path)
        holder = Holder(args, path)
        try:
            holder.tell("acquire", "held")
            lock = client.Lock(path, "waiter")
            waiting = acquire_in_background(lock)
            wait_for(lambda: len(client.get_children(path)) == 2, 10, "the waiter to queue")
            ended_at = end(holder)
            waiting["thread"].join(60)
            if not waiting.get("ok"):
                raise RuntimeError("the waiter did not get the lock after the holder ended")
            samples.append((waiting["at"] - ended_at) * 1000.0)
            lock.release()
        finally:
            holder.close()
        client.delete(path, recursive=True)
    return samples


def kill_holder(holder):
    at = time.monotonic()
    holder.kill()
    return at


def close_holder(holder):
    return float(holder.tell("close", "released")[0])


def figure(runs):
    """Per-run p50/p99, their medians over the runs (nearest rank, like the C++ benches), and every
    sample."""
    p50s = [percentile(r, 50) for r in runs if r]
    p99s = [percentile(r, 99) for r in runs if r]
    return {
        "p50": percentile(p50s, 50),
        "p99": percentile(p99s, 50),
        "runP50s": p50s,
        "runP99s": p99s,
        "samples": [s for r in runs for s in r],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zk", required=True, help="connect string, e.g. 127.0.0.1:2181")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clean-rounds", type=int, default=50, help="per run")
    parser.add_argument("--close-rounds", type=int, default=20, help="per run")
    parser.add_argument("--kill-rounds", type=int, default=4, help="per run")
    parser.add_argument("--session-timeout-s", type=float, default=2.0)
    parser.add_argument("--root", default="/sm-bench-kazoo-%d" % os.getpid())
    parser.add_argument("--server", default="", help="what the server is, for the report")
    parser.add_argument("--quick", action="store_true", help="2 runs, fewer rounds")
    parser.add_argument("--output", default="bench/results/kazoo.json")
    parser.add_argument("--holder", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.holder:
        return run_holder(args)
    if args.quick:
        args.runs = min(args.runs, 2)
        args.clean_rounds = min(args.clean_rounds, 20)
        args.close_rounds = min(args.close_rounds, 5)
        args.kill_rounds = min(args.kill_rounds, 2)

    import kazoo.version
    client = connect(args.zk, args.session_timeout_s)
    # What the server granted (kazoo keeps it in a private field; None if that ever changes).
    granted_ms = getattr(client, "_session_timeout", None)
    granted_s = granted_ms / 1000.0 if granted_ms else None
    client.ensure_path(args.root)
    clean, close, kill = [], [], []
    try:
        for run in range(args.runs):
            clean.append(clean_run(args, client, args.clean_rounds))
            close.append(one_holder_per_round(args, client, args.close_rounds, close_holder))
            kill.append(one_holder_per_round(args, client, args.kill_rounds, kill_holder))
            print("run %d: clean release p50 %.2f ms p99 %.2f ms; session close p50 %.2f ms "
                  "p99 %.2f ms; holder SIGKILL p50 %.0f ms max %.0f ms" % (
                      run, percentile(clean[-1], 50), percentile(clean[-1], 99),
                      percentile(close[-1], 50), percentile(close[-1], 99),
                      percentile(kill[-1], 50), max(kill[-1])), flush=True)
    finally:
        client.delete(args.root, recursive=True)
        client.stop()
        client.close()

    loadavg = float(open("/proc/loadavg").read().split()[0])
    result = {
        "benchmark": "kazoo",
        "kazoo": kazoo.version.__version__,
        "server": args.server or args.zk,
        "sessionTimeoutS": args.session_timeout_s,
        "grantedSessionTimeoutS": granted_s,
        "runs": args.runs,
        "cleanRoundsPerRun": args.clean_rounds,
        "closeRoundsPerRun": args.close_rounds,
        "killRoundsPerRun": args.kill_rounds,
        "quick": args.quick,
        "loadAverage1m": loadavg,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": {
            "cleanReleaseMs": dict(figure(clean), what="holder's lock.release() -> waiter's "
                                   "acquire() returns (two processes)"),
            "sessionCloseMs": dict(figure(close), what="holder's client.stop() (closes its "
                                   "session) -> waiter's acquire() returns"),
            "holderKilledMs": dict(figure(kill), what="holder process SIGKILL -> waiter's "
                                   "acquire() returns (session expiry)"),
        },
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as out:
        json.dump(result, out, indent=2)
        out.write("\n")
    r = result["results"]
    print("kazoo %s Lock handover (%d runs; medians of per-run percentiles)" %
          (result["kazoo"], args.runs))
    print("  clean release:  p50 %.2f ms  p99 %.2f ms" % (r["cleanReleaseMs"]["p50"],
                                                          r["cleanReleaseMs"]["p99"]))
    print("  session close:  p50 %.2f ms  p99 %.2f ms" % (r["sessionCloseMs"]["p50"],
                                                          r["sessionCloseMs"]["p99"]))
    print("  holder SIGKILL: p50 %.0f ms  p99 %.0f ms" % (r["holderKilledMs"]["p50"],
                                                         r["holderKilledMs"]["p99"]))
    print("written to " + args.output)


if __name__ == "__main__":
    sys.exit(main())
