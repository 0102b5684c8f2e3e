#!/usr/bin/python3
"""Writes bench/RESULTS.md (and the plots) from the JSON in bench/results/, without measuring.

  bench/report.py machine [--quick]  records the machine and the start of a run (machine.json)
  bench/report.py                    RESULTS.md from the results; PNG plots if gnuplot is there
scripts/bench runs both around the benchmarks; run the second alone to re-render.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
REPORT = os.path.join(HERE, "RESULTS.md")


def percentile(values, p):
    """Nearest rank, as bench/common/stats.hpp does it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(int(p / 100.0 * (len(ordered) - 1) + 0.5), len(ordered) - 1)]


def holder_lag(runs):
    """Per run, when the monitor holder's host had its last role file beside the other hosts'
    median (sm-bench-daemon's lastRoleFileMsPerHost, ms after the apply)."""
    parts = []
    for r in runs:
        last = r.get("lastRoleFileMsPerHost") or {}
        holder = r.get("monitorHolder")
        others = [v for h, v in last.items() if h != holder]
        if holder in last and others:
            parts.append("{:.1f} / {:.1f}".format(last[holder] / 1000, median(others) / 1000))
    if not parts:
        return ""
    return "; last role file of the monitor holder's host / the others' median: {} s".format(
        ", ".join(parts))


def median(values):
    return percentile(values, 50)


def command_output(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def record_machine(quick):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
    machine = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ramGiB": round(ram_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": command_output(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "zookeeper": command_output(["dpkg-query", "-W", "-f=${Version}", "zookeeper"]),
        "kazoo": command_output(["dpkg-query", "-W", "-f=${Version}", "python3-kazoo"]),
        "java": command_output(["sh", "-c", "java -version 2>&1 | head -1"]),
        "compiler": command_output(["sh", "-c", "c++ --version | head -1"]),
        "commit": command_output(["git", "-C", HERE, "rev-parse", "--short", "HEAD"]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadAverageAtStart": open("/proc/loadavg").read().split()[:3],
        "quick": quick,
    }
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "machine.json"), "w") as out:
        json.dump(machine, out, indent=2)
        out.write("\n")


def load(name):
    path = os.path.join(RESULTS, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fig(data, name):
    """A figure of a C++ bench's 'figures' list by name: (p50, p99) in its unit."""
    for f in (data or {}).get("figures", []):
        if f["name"] == name:
            return f["p50"], f["p99"]
    return None, None


def ms(value, digits=2):
    if value is None:
        return "–"
    if value >= 100:
        return "{:,.0f} ms".format(value)
    return "{:.{}f} ms".format(value, digits)


def num(value, digits=2):
    return "–" if value is None else "{:.{}f}".format(value, digits)


def times(value):
    return "–" if value is None else ("{:,.0f}×".format(value) if value >= 10 else
                                      "{:.2f}×".format(value))


def verdict(ok):
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


def ratio(a, b):
    return a / b if a is not None and b else None


def floor_of(results):
    """The delete→watch baseline a failure round is compared with: measured after the same idle
    pause as the rounds' kills (docs/benchmarks.md, "The baseline"), else back to back (older
    results). Returns (p50, text naming both)."""
    hot = (results.get("zkWatchBaselineMs") or {}).get("p50")
    idle = results.get("zkWatchIdleBaselineMs") or {}
    if idle.get("p50") is None:
        return hot, "ZooKeeper's delete→watch p50 ({})".format(ms(hot))
    pause = idle.get("idleBeforeMs") or results.get("idleBeforeMs") or 100
    return idle["p50"], ("ZooKeeper's delete→watch p50 after the same {} ms idle pause ({}); back "
                         "to back it is {}").format(pause, ms(idle["p50"]), ms(hot))


class Report:
    def __init__(self):
        self.machine = load("machine") or {}
        self.zk = load("zk_baseline")
        self.daemon = load("daemon")
        self.kazoo = load("kazoo")
        self.placement = load("placement")
        self.large = load("convergence_large")
        self.lock = load("lock_wakeups")
        self.supervisor = load("supervisor_exit_latency")
        self.lease = load("lease")
        self.locks = load("locks")
        self.capacity = load("zk_capacity")
        self.promotion = load("promotion")
        self.plots = []
        self.rows = []

    def quick(self):
        flags = [self.machine.get("quick")]
        for d in (self.daemon, self.kazoo, self.placement):
            if d:
                flags.append(d.get("quick"))
        return any(flags)

    # ---- the target table
    def targets(self):
        d = (self.daemon or {}).get("results", {})
        k = (self.kazoo or {}).get("results", {})
        floor, floor_text = floor_of(d)
        kclean = k.get("cleanReleaseMs", {})
        kclose = k.get("sessionCloseMs", {})
        kkill = k.get("holderKilledMs", {})

        # Failover after SIGKILL of a master process.
        pf = d.get("processFailoverMs")
        if pf and pf.get("samples"):
            p50, p99 = pf["p50"], pf["p99"]
            speedup = ratio(kkill.get("p50"), p50)
            to_watch = ratio(p50, floor)
            hot = d.get("zkWatchBaselineMs", {}).get("p50")
            checks = {
                "p50 ≤ 2.5× ZooKeeper's delete→watch p50 of the same run":
                    to_watch is not None and to_watch <= 2.5,
                "p99 no slower than kazoo's clean release p99":
                    bool(kclean) and p99 <= kclean["p99"],
                "≥ 100× faster than kazoo's holder-killed p50":
                    speedup is not None and speedup >= 100,
                "no round timed out": pf.get("timeouts", 0) == 0,
            }
            self.row("failover after SIGKILL of a master process: kill → successor's role file "
                     "says master ({} rounds)".format(pf["rounds"]),
                     ms(p50), ms(p99),
                     "{} of {}{}; kazoo clean release p50 {} / p99 "
                     "{} → ours is {} / {} of it (kazoo holder closing its session: {} / {}); "
                     "kazoo holder killed p50 {} → ours is {} faster"
                     .format(times(to_watch), floor_text,
                             "" if floor == hot else " (→ {} of that)".format(times(ratio(p50, hot))),
                             ms(kclean.get("p50")), ms(kclean.get("p99")),
                             times(ratio(p50, kclean.get("p50"))),
                             times(ratio(p99, kclean.get("p99"))),
                             ms(kclose.get("p50")), ms(kclose.get("p99")),
                             ms(kkill.get("p50")), times(speedup)),
                     "p50 ≤ 2.5× ZooKeeper's delete→watch p50 (the floor is about 2×: the "
                     "exit's detection plus one delete→watch); p99 no slower than kazoo's clean "
                     "handover; ≥ 100× faster than kazoo's election when its holder is killed",
                     all(checks.values()), checks)
        else:
            self.row("failover after SIGKILL of a master process", "–", "–", "–",
                     "p50 ≤ 2.5× delete→watch p50; p99 ≤ kazoo clean release p99", None)

        # A planned handover: servicesctl switchover.
        sw = d.get("switchoverGapMs")
        if sw and sw.get("samples"):
            p50, p99 = sw["p50"], sw["p99"]
            checks = {
                "p99 no slower than kazoo's clean release p99":
                    bool(kclean) and p99 <= kclean["p99"],
                "no round timed out": sw.get("timeouts", 0) == 0,
            }
            self.row("switchover: old master's role file not master → target's says master "
                     "({} rounds)".format(sw["rounds"]),
                     ms(p50), ms(p99),
                     "kazoo clean release (release → waiter holds) p50 {} / p99 {} → ours is {} "
                     "/ {} of it; servicesctl switchover started → target master p50 {} / p99 {}"
                     .format(ms(kclean.get("p50")), ms(kclean.get("p99")),
                             times(ratio(p50, kclean.get("p50"))),
                             times(ratio(p99, kclean.get("p99"))),
                             ms(sw.get("requestToMasterP50")), ms(sw.get("requestToMasterP99"))),
                     "p99 no slower than kazoo's clean handover",
                     all(checks.values()), checks)
        else:
            self.row("switchover gap", "–", "–", "–",
                     "p99 ≤ kazoo clean release p99", None)

        # spec.promotion: the cost of asking the live secondaries for their scores.
        pr = (self.promotion or {}).get("results", {})
        wp, np_ = pr.get("withPromotionMs"), pr.get("withoutPromotionMs")
        if wp and wp.get("samples") and np_ and np_.get("samples"):
            bound = pr.get("boundMs")
            checks = {
                "p50 with promotion ≤ score hook p50 + waitMs + 5 ms": wp["p50"] <= bound,
                "no two leased masters (role-file sampler)": pr.get("twoLeasedMasters") == 0,
                "no round timed out": wp.get("timeouts", 0) == 0 and np_.get("timeouts", 0) == 0,
            }
            self.row("failover after SIGKILL of a master process with `spec.promotion` "
                     "({} rounds, no lagging replica)".format(wp["rounds"]),
                     ms(wp["p50"]), ms(wp["p99"]),
                     "same run without promotion p50 {} / p99 {}; the score hook alone p50 {}; "
                     "waitMs {}".format(ms(np_["p50"]), ms(np_["p99"]),
                                        ms(pr.get("scoreHookMs", {}).get("p50")),
                                        self.promotion.get("waitMs")),
                     "p50 ≤ score hook + waitMs + 5 ms = {}; never two leased masters".format(
                         ms(bound)),
                     all(checks.values()), checks)
        else:
            self.row("failover with `spec.promotion`", "–", "–", "–",
                     "p50 ≤ score hook + waitMs + 5 ms", None)

        # Failover after SIGKILL of a whole manager: its orphan guard ends its session.
        df = d.get("daemonFailoverMs")
        if df and df.get("samples"):
            s = df["samples"]
            p50, p99 = percentile(s, 50), percentile(s, 99)
            t50, t99 = df.get("targetP50Ms", 20), df.get("targetP99Ms", 100)
            checks = {
                "p50 ≤ {:g} ms".format(t50): p50 <= t50,
                "p99 ≤ {:g} ms".format(t99): p99 <= t99,
                "no round timed out": df.get("timeouts", 0) == 0,
                "no managed process of the dead manager alive after it":
                    not any(df.get("liveOrphansAfterKill", [])),
            }
            self.row("failover after SIGKILL of a whole manager, host alive ({} rounds; session "
                     "timeout {:,} ms)".format(len(s), df.get("sessionTimeoutMs", 2000)),
                     ms(p50), ms(p99),
                     "kazoo holder killed, same session timeout: p50 {} / p99 {} → ours is {} "
                     "faster".format(ms(kkill.get("p50")), ms(kkill.get("p99")),
                                     times(ratio(kkill.get("p50"), p50))),
                     "p50 ≤ 20 ms, p99 ≤ 100 ms (the orphan guard ends the dead manager's "
                     "session once its processes are gone)",
                     all(checks.values()), checks)
        else:
            self.row("failover after SIGKILL of a whole manager", "–", "–", "–",
                     "p50 ≤ 20 ms, p99 ≤ 100 ms", None)

        create = fig(self.zk, "create (persistent)")[0]
        create = create / 1000 if create else None
        conv = d.get("convergence")
        if conv and conv.get("runs"):
            times_ms = [r["convergeMs"] for r in conv["runs"]]
            writes = [r["writesPerInstance"] for r in conv["runs"]]
            self.row("convergence: apply 100 × 3 on 3 managers → all registered with a master "
                     "({} run{})".format(len(times_ms), "" if len(times_ms) == 1 else "s"),
                     ms(median(times_ms)), ms(max(times_ms)) + " (max)",
                     "{} per placed instance = {} ZooKeeper's sync create p50 ({})".format(
                         ms(median(times_ms) / 300), times(ratio(median(times_ms) / 300, create)),
                         ms(create)),
                     "≤ 5 s", median(times_ms) <= 5000)
            self.row("convergence: ZooKeeper writes per placed instance",
                     num(median(writes)), num(max(writes)) + " (max)",
                     "reads per placed instance: {}; ZooKeeper transactions (write requests, "
                     "a multi() once: what the leader proposes and logs) per placed instance: "
                     "{}; writes count nodes, each operation of a multi() on its own".format(
                         num(conv.get("readsPerInstanceMedian")),
                         num(conv.get("transactionsPerInstanceMedian"))),
                     "≤ 8", median(writes) <= 8)
        else:
            self.row("convergence of 100 × 3", "–", "–", "–", "≤ 5 s; ≤ 8 writes per instance",
                     None)

        large = (self.large or {}).get("results", {}).get("convergence")
        if large and large.get("runs"):
            runs = large["runs"]
            times_ms = [r["convergeMs"] for r in runs]
            writes = [r["writesPerInstance"] for r in runs]
            checks = {"≤ 15 s": median(times_ms) <= 15000, "≤ 6 writes": median(writes) <= 6}
            self.row("convergence: apply 1,000 × 3 on 10 managers → all registered with a master "
                     "({} run{})".format(len(times_ms), "" if len(times_ms) == 1 else "s"),
                     ms(median(times_ms)), ms(max(times_ms)) + " (max)",
                     "per placed instance: {} writes (nodes), {} transactions, {} reads; "
                     "runs {} s{}".format(
                         num(median(writes)), num(large.get("transactionsPerInstanceMedian")),
                         num(large.get("readsPerInstanceMedian")),
                         ", ".join("{:.1f}".format(t / 1000) for t in times_ms),
                         holder_lag(runs)),
                     "≤ 15 s; ≤ 6 writes per placed instance", all(checks.values()), checks)
        else:
            self.row("convergence of 1,000 × 3 on 10 managers", "–", "–", "–",
                     "≤ 15 s; ≤ 6 writes per placed instance", None)

        pl = (self.placement or {}).get("results", {})
        if pl.get("perHostCount"):
            per = pl["perHostCount"]
            values = ", ".join("{} hosts {}".format(p["hosts"], num(p["requestsPerPlacement"]))
                               for p in per)
            detail = "the type scaled 20 → 40 logical services × 3; " + "; ".join(
                "{} hosts: {} writes + {} reads ({} reads per manager)".format(
                    p["hosts"], num(p["writesPerPlacement"]), num(p["readsPerPlacement"]),
                    num(p["readsPerPlacement"] / p["hosts"]))
                for p in per)
            first = [p for p in per if p.get("firstApplyRequestsPerPlacement") is not None]
            if first:
                detail += ("; its first apply (20 × 3, with what a new type costs once: every "
                           "manager reads it, its monitor holder every host): " + ", ".join(
                               "{} hosts {}".format(p["hosts"],
                                                    num(p["firstApplyRequestsPerPlacement"]))
                               for p in first))
            writes = [p["writesPerPlacement"] for p in per]
            if min(writes) > 0:
                detail += "; writes alone spread {:.0f} %".format(
                    (max(writes) / min(writes) - 1) * 100)
            idle = [p for p in per if p.get("idleRequestsPerSecond") is not None]
            if idle:
                detail += "; converged and left alone: " + "; ".join(
                    "{} hosts {} requests/s under the root, daemons' CPU {} % in all, RSS {:,.0f} "
                    "kB in all".format(p["hosts"], num(p["idleRequestsPerSecond"]),
                                       num(p["idleCpuPercentTotal"], 1), p["daemonsRssKbTotal"])
                    for p in idle)
            complete = {p["hosts"] for p in per} >= {3, 30}
            largest = max(p["hosts"] for p in per)
            self.row("placement cost as hosts grow (3 → {} managers on one machine): ZooKeeper "
                     "requests per placement".format(largest), values,
                     "spread {:.0f} %".format(pl["spread"] * 100), detail,
                     "flat within 20 %", (pl["spread"] <= 0.2) if complete else None)
        else:
            self.row("placement cost as hosts grow (3 → 30 managers)", "–", "–", "–",
                     "flat within 20 %", None)

        if conv and conv.get("runs"):
            idle = [r["idleRequestsPerSecond"] for r in conv["runs"]]
            cpu = d.get("idleCpuPercentMaxMedian")
            self.row("idle: ZooKeeper requests per second under the root from a converged "
                     "cluster of 3 managers",
                     num(median(idle)), num(max(idle)) + " (max)",
                     "daemon CPU while idle (max of 3): {} %".format(num(cpu)),
                     "0", median(idle) == 0 and max(idle) == 0)
            rss = [max(r["rssKb"]) for r in conv["runs"]]
            children = [min(r["children"]) for r in conv["runs"]]
            self.row("manager memory with 100 supervised children (max of 3 managers)",
                     "{:,.0f} kB".format(median(rss)), "{:,.0f} kB (max)".format(max(rss)),
                     "{} children each".format(min(children)),
                     "≤ 16 MB RSS (16,384 kB)", max(rss) <= 16384)
        else:
            self.row("idle requests per second", "–", "–", "–", "0", None)
            self.row("manager memory with 100 supervised children", "–", "–", "–", "≤ 16 MB",
                     None)

        self.locks_row()

        lw = (self.lock or {}).get("results", {}).get("wakeupsPerRelease")
        if lw:
            self.row("wake-ups per lock release with {} waiters ({} releases)".format(
                self.lock.get("waiters", 20), lw["releases"]),
                num(median(lw["samples"]), 0), "min {:.0f}, max {:.0f}".format(lw["min"],
                                                                             lw["max"]),
                "release → next holder: p50 {} p99 {}".format(
                    ms(self.lock["results"]["handoverUs"]["p50"] / 1000),
                    ms(self.lock["results"]["handoverUs"]["p99"] / 1000)),
                "exactly 1", lw["min"] == 1 and lw["max"] == 1)
        else:
            self.row("wake-ups per lock release with 20 waiters", "–", "–", "–", "exactly 1",
                     None)

    def locks_row(self):
        # A lock lent by the daemons (docs/locks.md): its holder process SIGKILLed.
        lk = (self.locks or {}).get("results", {})
        killed = lk.get("holderKilledMs", {})
        if not killed.get("samples"):
            self.row("lock lent by the daemons: holder SIGKILLed → next holder", "–", "–", "–",
                     "p50 ≤ 2.5× delete→watch p50", None)
            return
        p50, p99 = killed["p50"], killed["p99"]
        base, base_text = floor_of(lk)
        hot = lk.get("zkWatchBaselineMs", {}).get("p50")
        kkill = (self.kazoo or {}).get("results", {}).get("holderKilledMs", {})
        checks = {"p50 ≤ 2.5× ZooKeeper's delete→watch p50 (same run)":
                  base is not None and p50 <= 2.5 * base}
        self.row("lock lent by the daemons: holder process SIGKILLed → next holder on another "
                 "host's daemon ({} rounds; session timeout {:,} ms)".format(
                     len(killed["samples"]), self.locks.get("sessionTimeoutMs", 2000)),
                 ms(p50), ms(p99),
                 "{} of {}, same run{}; of it, kill → the holder's node deleted "
                 "as a watcher sees it: p50 {}; kazoo Lock with its holder killed: p50 {} → "
                 "ours is {} faster".format(
                     times(ratio(p50, base)), base_text,
                     "" if base == hot else " (→ {} of that)".format(times(ratio(p50, hot))),
                     ms(lk.get("holderNodeDeletedMs", {}).get("p50")), ms(kkill.get("p50")),
                     times(ratio(kkill.get("p50"), p50))),
                 "p50 ≤ 2.5× delete→watch p50", all(checks.values()), checks)

    def row(self, figure, p50, p99, baseline, target, ok, checks=None):
        self.rows.append((figure, p50, p99, baseline, target, ok, checks))

    # ---- plots
    def plot(self):
        gnuplot = shutil.which("gnuplot")
        if not gnuplot:
            return "gnuplot is not installed (scripts/bench installs gnuplot-nox): no plots."
        d = (self.daemon or {}).get("results", {})
        k = (self.kazoo or {}).get("results", {})
        series = [
            ("ours: master process SIGKILL", d.get("processFailoverMs", {}).get("samples")),
            ("kazoo: clean release", k.get("cleanReleaseMs", {}).get("samples")),
            ("kazoo: holder closes its session", k.get("sessionCloseMs", {}).get("samples")),
            ("ours: whole manager SIGKILL", d.get("daemonFailoverMs", {}).get("samples")),
            ("kazoo: holder SIGKILL", k.get("holderKilledMs", {}).get("samples")),
        ]
        notes = []
        with tempfile.TemporaryDirectory() as tmp:
            lines = []
            for i, (title, samples) in enumerate(series):
                if not samples:
                    continue
                path = os.path.join(tmp, "s%d.dat" % i)
                ordered = sorted(samples)
                with open(path, "w") as f:
                    for rank, value in enumerate(ordered):
                        f.write("%f %f\n" % (max(value, 0.01), (rank + 1) / len(ordered)))
                dash = "dashtype 2" if title.startswith("kazoo") else "dashtype 1"
                lines.append("'%s' using 1:2 with steps lw 2 %s title '%s'" % (path, dash,
                                                                              title))
            if lines:
                out = os.path.join(RESULTS, "failover_latency.png")
                script = "\n".join([
                    "set terminal pngcairo size 960,540 font ',10'",
                    "set output '%s'" % out,
                    "set title 'Failover and lock handover latency (CDF): servicesmgr vs kazoo"
                    " on the same ZooKeeper'",
                    "set logscale x", "set xlabel 'milliseconds (log scale)'",
                    "set ylabel 'fraction of rounds'", "set yrange [0:1.02]",
                    "set grid", "set key at graph 0.8, graph 0.6 right opaque box",
                    "plot " + ", ".join(lines), ""])
                if self.run_gnuplot(gnuplot, script):
                    self.plots.append(("failover_latency.png",
                                       "Failover / handover latency, cumulative distribution"))
                else:
                    notes.append("gnuplot failed on failover_latency.png")
            per = (self.placement or {}).get("results", {}).get("perHostCount")
            if per:
                path = os.path.join(tmp, "placement.dat")
                with open(path, "w") as f:
                    for p in per:
                        f.write("%d %f %f %f\n" % (p["hosts"], p["writesPerPlacement"],
                                                   p["readsPerPlacement"],
                                                   p["requestsPerPlacement"]))
                out = os.path.join(RESULTS, "placement_cost.png")
                script = "\n".join([
                    "set terminal pngcairo size 800,450 font ',10'",
                    "set output '%s'" % out,
                    "set title 'ZooKeeper requests per placement as managers grow'",
                    "set xlabel 'managers (hosts) on one machine'",
                    "set ylabel 'requests per placed instance'",
                    "set yrange [0:*]", "set grid", "set key left top",
                    "set xtics (%s)" % ", ".join(str(p["hosts"]) for p in per),
                    "plot '{0}' using 1:4 with linespoints lw 2 pt 7 title 'all requests', "
                    "'{0}' using 1:2 with linespoints lw 2 pt 5 title 'writes', "
                    "'{0}' using 1:3 with linespoints lw 2 pt 9 title 'reads'".format(path), ""])
                if self.run_gnuplot(gnuplot, script):
                    self.plots.append(("placement_cost.png",
                                       "ZooKeeper requests per placement, 3 → 30 managers"))
                else:
                    notes.append("gnuplot failed on placement_cost.png")
        return "; ".join(notes)

    @staticmethod
    def run_gnuplot(gnuplot, script):
        done = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
        return done.returncode == 0

    # ---- the document
    def write(self, plot_note):
        m = self.machine
        out = []
        w = out.append
        w("# Benchmark results")
        w("")
        if self.quick():
            w("> **Quick run (`scripts/bench --quick`)**: few rounds and one run per figure, for a "
              "smoke test. The figures are indicative only; `scripts/bench` without `--quick` "
              "takes the medians over several runs.")
            w("")
        w("Written by `bench/report.py` from `bench/results/*.json`; `scripts/bench` measures "
          "everything again and rewrites this file (how each figure is measured: "
          "[docs/benchmarks.md](../docs/benchmarks.md)). The targets are the table of "
          "[docs/invariants.md](../docs/invariants.md).")
        w("")
        w("## Machine")
        w("")
        w("| | |")
        w("| --- | --- |")
        w("| CPU | {} |".format(m.get("cpu", "?")))
        w("| cores | {} |".format(m.get("cores", "?")))
        w("| RAM | {} GiB |".format(m.get("ramGiB", "?")))
        w("| OS, kernel | {}, Linux {} |".format(m.get("os", "?"), m.get("kernel", "?")))
        w("| ZooKeeper | {} (Debian package), standalone on 127.0.0.1, tickTime 200 ms, "
          "forceSync=no, `-Xmx64m` |".format(m.get("zookeeper", "?")))
        w("| kazoo (the peer) | python3-kazoo {} (Debian) |".format(m.get("kazoo", "?")))
        w("| Java, compiler | {}; {} |".format(m.get("java", "?"), m.get("compiler", "?")))
        w("| commit | {} |".format(m.get("commit", "?")))
        w("| run started | {} (load average {}) |".format(
            m.get("started", "?"), " ".join(m.get("loadAverageAtStart", []))))
        w("")
        loads = [d.get("loadAverage1m") for d in (self.zk, self.daemon, self.kazoo,
                                                   self.placement, self.lock, self.supervisor,
                                                   self.locks)
                 if d and d.get("loadAverage1m") is not None]
        seen = " (1-minute load average {:.1f} to {:.1f} on {} cores as the benchmarks " \
               "ended)".format(min(loads), max(loads), m.get("cores", "?")) if loads else ""
        w("The machine is shared with other work{}: the load each benchmark saw is listed under "
          "[Runs](#runs). A busy machine shows first in the p99s and the convergence time; the "
          "ratios to the baselines of the same run move less.".format(seen))
        w("")
        w("## Targets")
        w("")
        w("Median = median over the runs of each run's p50 (the daemon bench's failover figures "
          "pool their rounds in one run). Baseline = measured in the same run on the same "
          "server kind.")
        w("")
        w("| figure | median | p99 | baseline and ratio, same run | target | verdict |")
        w("| --- | --- | --- | --- | --- | --- |")
        for figure, p50, p99, baseline, target, ok, checks in self.rows:
            w("| {} | {} | {} | {} | {} | {} |".format(figure, p50, p99, baseline, target,
                                                       verdict(ok)))
        w("")
        met = sum(1 for r in self.rows if r[5])
        missed = [r[0] for r in self.rows if r[5] is False]
        absent = [r[0] for r in self.rows if r[5] is None]
        w("**{} of {} targets met.**".format(met, len(self.rows)))
        for figure, p50, p99, baseline, target, ok, checks in self.rows:
            if checks:
                w("")
                w("Parts of “{}”:".format(figure.split(":")[0]))
                for name, good in checks.items():
                    w("- {}: {}".format(name, "met" if good else "not met"))
        if missed:
            w("")
            w("Not met: " + "; ".join(missed) + ".")
        if absent:
            w("")
            w("Not measured in this run: " + "; ".join(absent) + ".")
        w("")
        if self.plots or plot_note:
            w("## Plots")
            w("")
            for name, title in self.plots:
                w("![{0}](results/{1})".format(title, name))
                w("")
                w("*{}* — `bench/results/{}`".format(title, name))
                w("")
            if plot_note:
                w(plot_note)
                w("")
        self.baselines(w)
        self.lease_figures(w)
        self.runs(w)
        with open(REPORT, "w") as f:
            f.write("\n".join(out).rstrip() + "\n")

    def baselines(self, w):
        w("## Baselines and other figures")
        w("")
        w("| figure | p50 | p99 | source |")
        w("| --- | --- | --- | --- |")
        for f in (self.zk or {}).get("figures", []):
            w("| raw ZooKeeper: {} | {} | {} | zk_baseline.json |".format(
                f["name"], ms(f["p50"] / 1000), ms(f["p99"] / 1000)))
        watch = (self.daemon or {}).get("results", {}).get("zkWatchBaselineMs")
        if watch:
            w("| raw ZooKeeper: delete → other session's watch, on the daemon bench's server | "
              "{} | {} | daemon.json |".format(ms(watch["p50"]), ms(watch["p99"])))
        for name, data in (("daemon", self.daemon), ("locks", self.locks)):
            idle = (data or {}).get("results", {}).get("zkWatchIdleBaselineMs")
            if idle and idle.get("p50") is not None:
                w("| raw ZooKeeper: delete → other session's watch after {} ms idle (the pause "
                  "before each kill), on the {} bench's server | {} | {} | {}.json |".format(
                      idle.get("idleBeforeMs") or data["results"].get("idleBeforeMs") or 100,
                      name, ms(idle["p50"]), ms(idle["p99"]), name))
        k = (self.kazoo or {}).get("results", {})
        if k:
            w("| kazoo {} Lock, two processes: holder's release() → waiter holds | {} | {} | "
              "kazoo.json |".format(self.kazoo.get("kazoo", ""), ms(k["cleanReleaseMs"]["p50"]),
                                    ms(k["cleanReleaseMs"]["p99"])))
            if "sessionCloseMs" in k:
                w("| kazoo Lock, two processes: holder closes its session (client.stop()) → "
                  "waiter holds | {} | {} | kazoo.json |".format(ms(k["sessionCloseMs"]["p50"]),
                                                                ms(k["sessionCloseMs"]["p99"])))
            w("| kazoo Lock: holder process SIGKILLed → waiter holds (session {} s, granted {} s) "
              "| {} | {} | kazoo.json |".format(
                  num(self.kazoo.get("sessionTimeoutS"), 1),
                  num(self.kazoo.get("grantedSessionTimeoutS"), 1),
                  ms(k["holderKilledMs"]["p50"]), ms(k["holderKilledMs"]["p99"])))
        lh = (self.lock or {}).get("results", {}).get("handoverUs")
        if lh:
            w("| our zk::Lock, one process, 20 sessions: release() → next waiter holds | {} | {} "
              "| lock_wakeups.json |".format(ms(lh["p50"] / 1000), ms(lh["p99"] / 1000)))
        for f in (self.supervisor or {}).get("figures", []):
            w("| supervisor: {} | {} | {} | supervisor_exit_latency.json |".format(
                f["name"], ms(f["p50"] / 1000), ms(f["p99"] / 1000)))
        w("")
        self.capacity_figures(w)

    def capacity_figures(self, w):
        # What docs/scaling.md divides the cluster's load by.
        if not self.capacity:
            return
        w("ZooKeeper's capacity on this machine (`sm-bench-zk-capacity`, {} sessions each on its "
          "own thread, synchronous requests back to back for {} s, forceSync={}; servers, "
          "clients and bench share the cores: a floor). Used by [docs/scaling.md]"
          "(../docs/scaling.md).".format(self.capacity.get("clients"),
                                         num(self.capacity.get("seconds"), 0),
                                         "yes" if self.capacity.get("forceSync") else "no"))
        w("")
        w("| server | writes/s | reads/s |")
        w("| --- | --- | --- |")
        for r in self.capacity.get("results", []):
            w("| {} | {:,.0f} | {:,.0f} |".format(r["server"], r["writesPerSecond"],
                                                  r["readsPerSecond"]))
        w("")

    def lease_figures(self, w):
        if not self.lease:
            return
        w("## The master lease under a frozen manager (I1)")
        w("")
        w("`sm-bench-lease`: the master's daemon SIGSTOPped, times from the freeze; session "
          "timeout {} ms, lease {} ms renewed every {} ms, tickTime {} ms, {} rounds. The "
          "margin must stay above zero (the argument says at least a quarter of the timeout): "
          "docs/daemon.md.".format(self.lease.get("sessionTimeoutMs"), self.lease.get("leaseMs"),
                                   self.lease.get("renewEveryMs"), self.lease.get("tickTimeMs"),
                                   self.lease.get("rounds")))
        w("")
        w("| figure | median | min | max |")
        w("| --- | --- | --- | --- |")
        for f in self.lease.get("figures", []):
            w("| {} | {} | {} | {} |".format(f["name"], ms(f["median"], 0), ms(f["min"], 0),
                                             ms(f["max"], 0)))
        w("")

    def runs(self, w):
        w("## Runs")
        w("")
        w("| results file | written | runs | load average (1 min) | quick | errors |")
        w("| --- | --- | --- | --- | --- | --- |")
        for name, data in (("zk_baseline", self.zk), ("daemon", self.daemon),
                           ("kazoo", self.kazoo), ("placement", self.placement),
                           ("convergence_large", self.large), ("lock_wakeups", self.lock), ("lease", self.lease),
                           ("locks", self.locks),
                           ("supervisor_exit_latency", self.supervisor)):
            if not data:
                w("| {}.json | missing | | | | |".format(name))
                continue
            errors = data.get("errors") or ([data["error"]] if data.get("error") else [])
            w("| {}.json | {} | {} | {} | {} | {} |".format(
                name, data.get("time", "?"), data.get("runs", "?"),
                data.get("loadAverage1m", "?"),
                "yes" if data.get("quick", self.machine.get("quick")) else "no",
                len(errors) if errors else "none"))
        w("")
        for name, data in (("daemon", self.daemon), ("placement", self.placement)):
            for e in (data or {}).get("errors") or []:
                w("- {}: {}".format(name, e.splitlines()[0]))
        notes = (self.daemon or {}).get("notes") or []
        for n in notes:
            w("- daemon note: {}".format(n))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="report", choices=["report", "machine"])
    parser.add_argument("--quick", action="store_true", help="with 'machine': a quick run")
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args()
    if args.what == "machine":
        record_machine(args.quick)
        return 0
    report = Report()
    report.targets()
    note = "" if args.no_plots else report.plot()
    report.write(note)
    print("written " + os.path.relpath(REPORT))
    for figure, p50, p99, baseline, target, ok, checks in report.rows:
        print("  {:<10} {}".format(verdict(ok).strip("*"), figure))
    return 0


if __name__ == "__main__":
    sys.exit(main())
