#!/usr/bin/env python3
"""Side-by-side whole-process benchmark: Palisade vs OWASP pytm 1.4.0 vs Threat Dragon core.

Every tool runs on the same synthetic model (the peer baseline's neutral
`perfbase-neutral-tm/1` JSON, made by `gen_pytm.py`; Palisade reads it converted to RON
by `cargo bench --bench core -- convert`), as a fresh process per run under
`/usr/bin/time -v`, interleaved round-robin so that machine noise hits every tool alike.
It reports medians of wall time, CPU time and peak RSS, the ratios to Palisade, and writes
a Markdown results file plus the raw runs (JSONL).

    # once: a writable copy of the peer baseline with pytm and Threat Dragon installed
    cp -r ../shared/bench /work/bench-peers && /work/bench-peers/setup.sh
    # then, from the repository root
    scripts/bench/side_by_side.py --peers /work/bench-peers --build

Tools and what each run does:
  palisade          `palisade threats MODEL.ron --format json > out.json`
                    (release build, `--no-default-features`: the CLI without the GUI)
  palisade-check    `palisade check MODEL.ron --fail-on critical`
                    (threat generation and triage counts, a one-line summary: the
                    counterpart of pytm's resolve mode)
  pytm-1.4.0-json   `gen_pytm.py --from-json MODEL.json --mode cli -- --json out.json`
                    (pytm's CLI path: build + check + resolve + JSON report)
  pytm-1.4.0-resolve `gen_pytm.py --from-json MODEL.json --mode resolve`
                    (threat generation only, no output)
  td-core-1.4.0     `node td_bench.js MODEL.json --type STRIDE`
                    (Threat Dragon v1 rule engine over every cell, no output)
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def parse_time_v(text):
    out = {}
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    if m:
        s = 0.0
        for p in m.group(1).split(":"):
            s = s * 60 + float(p)
        out["wall_s"] = s
    for key, pat in (("maxrss_kb", r"Maximum resident set size \(kbytes\): (\d+)"),
                     ("user_s", r"User time \(seconds\): ([\d.]+)"),
                     ("sys_s", r"System time \(seconds\): ([\d.]+)"),
                     ("exit_status", r"Exit status: (\d+)")):
        m = re.search(pat, text)
        if m:
            out[key] = float(m.group(1))
    return out


def run_timed(cmd, stdout_path=None, cwd=None):
    """Runs cmd under /usr/bin/time -v; returns the parsed record (wall from time -v)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        tpath = tf.name
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", "-o", tpath] + cmd, stdout=out,
                       stderr=subprocess.PIPE, cwd=cwd)
    wall_py = time.perf_counter() - t0
    if stdout_path:
        out.close()
    rec = parse_time_v(open(tpath).read())
    os.unlink(tpath)
    rec["wall_py_s"] = wall_py
    rec["returncode"] = p.returncode
    if p.returncode != 0:
        rec["stderr_tail"] = p.stderr.decode(errors="replace")[-2000:]
    return rec


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def version_of(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001
        return f"unknown ({e})"


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} vCPU, {mem}, {platform.platform()}"


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return []


def med(v):
    return statistics.median(v) if v else float("nan")


def fmt_s(x):
    if x != x:  # nan
        return "–"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peers", default=os.environ.get("PERFBASE_PEERS", "/work/bench-peers"),
                    help="writable copy of ../shared/bench after setup.sh (venv/, td/)")
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--palisade", help="palisade binary (default: target/release/palisade, "
                    "copied aside so that a concurrent GUI build cannot swap it)")
    ap.add_argument("--build", action="store_true",
                    help="cargo build --release --no-default-features first")
    ap.add_argument("--convert", default="cargo bench --no-default-features --bench core -- convert",
                    help="command that converts NEUTRAL.json OUT.ron (args appended)")
    ap.add_argument("--core", default="cargo bench --no-default-features --bench core --",
                    help="the in-process benchmark (benches/core.rs) to interleave as tool "
                         "palisade-in-process (rule evaluation vs pytm's tm.check()+tm.resolve()); "
                         "'' to skip")
    ap.add_argument("--runs", type=int, default=9, help="runs per size for Palisade")
    ap.add_argument("--runs-td", type=int, default=5)
    ap.add_argument("--runs-pytm", default="1000:5,10000:3",
                    help="runs per size for each pytm mode, as N:runs pairs")
    ap.add_argument("--tools", default="palisade,palisade-check,pytm-1.4.0-json,pytm-1.4.0-resolve,"
                                       "td-core-1.4.0")
    ap.add_argument("--out", default=os.path.join(REPO, "target", "bench-results"),
                    help="directory for side_by_side.md, side_by_side.jsonl and scratch files")
    a = ap.parse_args()

    sizes = [int(x) for x in a.sizes.split(",")]
    pytm_runs = {int(k): int(v) for k, v in (p.split(":") for p in a.runs_pytm.split(","))}
    tools = a.tools.split(",")
    if a.core and "palisade-in-process" not in tools:
        tools.append("palisade-in-process")
    os.makedirs(a.out, exist_ok=True)
    work = os.path.join(a.out, "work")
    os.makedirs(work, exist_ok=True)
    peers = os.path.abspath(a.peers)
    py = os.path.join(peers, "venv", "bin", "python")
    if any(t.startswith("pytm") for t in tools) and not os.path.exists(py):
        sys.exit(f"{py} missing: copy ../shared/bench to {peers} and run its setup.sh")
    if "td-core-1.4.0" in tools and not os.path.exists(
            os.path.join(peers, "td", "package", "src", "services", "threatengine.js")):
        sys.exit(f"Threat Dragon core missing under {peers}/td: run its setup.sh")

    # Palisade binary, copied aside.
    if a.build:
        sh(["cargo", "build", "--release", "--no-default-features", "--bin", "palisade"], cwd=REPO)
    src_bin = a.palisade or os.path.join(REPO, "target", "release", "palisade")
    pal = os.path.join(work, "palisade-nogui")
    shutil.copy2(src_bin, pal)
    pal_version = version_of([pal, "--version"])

    # Models: neutral JSON (generated by gen_pytm.py when missing) and the converted RON.
    models = {}
    for n in sizes:
        nj = os.path.join(peers, "models", f"model_{n}.json")
        if not os.path.exists(nj):
            os.makedirs(os.path.dirname(nj), exist_ok=True)
            sh([sys.executable, os.path.join(peers, "gen_pytm.py"), str(n), "--model-json", nj,
                "--no-pytm"], stderr=subprocess.DEVNULL)
        ron = os.path.join(work, f"palisade_{n}.ron")
        if not os.path.exists(ron) or os.path.getmtime(ron) < os.path.getmtime(nj):
            sh(a.convert.split() + [nj, ron], cwd=REPO)
        models[n] = (nj, ron)

    def command(tool, n, run_id):
        nj, ron = models[n]
        tfile = os.path.join(work, f"t_{tool}_{n}_{run_id}.json")
        if tool == "palisade":
            return [pal, "threats", ron, "--format", "json"], os.path.join(work, f"out_pal_{n}.json"), None
        if tool == "palisade-check":
            # Threat generation without the threat list: the counterpart of pytm's resolve
            # mode. It prints the critical threats (the crossing rules rate unencrypted
            # flows across a trust boundary critical) and the one-line summary, and exits
            # 1 because untriaged critical threats exist: that is the gate's answer, not
            # a failed run.
            return ([pal, "check", ron, "--fail-on", "critical"],
                    os.path.join(work, f"out_palcheck_{n}.txt"), None)
        if tool == "pytm-1.4.0-json":
            return ([py, os.path.join(peers, "gen_pytm.py"), "--from-json", nj, "--timings", tfile,
                     "--mode", "cli", "--", "--json", os.path.join(work, f"out_pytm_{n}.json")],
                    None, tfile)
        if tool == "pytm-1.4.0-resolve":
            return ([py, os.path.join(peers, "gen_pytm.py"), "--from-json", nj, "--timings", tfile,
                     "--mode", "resolve"], None, tfile)
        if tool == "td-core-1.4.0":
            return (["node", os.path.join(peers, "td_bench.js"), nj, "--type", "STRIDE",
                     "--timings", tfile], None, tfile)
        if tool == "palisade-in-process":
            env_dir = os.path.join(work, "core-models")
            os.makedirs(env_dir, exist_ok=True)
            for src, dst in ((nj, f"neutral_{n}.json"), (ron, f"palisade_{n}.ron")):
                d = os.path.join(env_dir, dst)
                if not os.path.exists(d):
                    os.symlink(src, d)
            return (a.core.split() + ["--dir", env_dir, "--sizes", str(n), "--runs", "5",
                                      "--only", "analyze (", "--only", "rules only", "--json", tfile],
                    None, tfile)
        raise SystemExit(f"unknown tool {tool}")

    def runs_for(tool, n):
        if tool in ("palisade", "palisade-check"):
            return a.runs
        if tool == "palisade-in-process":
            return 3
        if tool == "td-core-1.4.0":
            return a.runs_td
        return pytm_runs.get(n, 3)

    raw_path = os.path.join(a.out, "side_by_side.jsonl")
    raw = open(raw_path, "w")
    recs = []
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_start = loadavg()
    max_rounds = max(runs_for(t, n) for t in tools for n in sizes)
    for r in range(max_rounds):
        order = tools[r % len(tools):] + tools[:r % len(tools)]  # rotate who goes first
        for n in sizes:
            for tool in order:
                if r >= runs_for(tool, n):
                    continue
                cmd, stdout_path, tfile = command(tool, n, r)
                rec = run_timed(cmd, stdout_path, cwd=REPO)
                rec.update({"tool": tool, "n": n, "run": r})
                if tfile and os.path.exists(tfile):
                    try:
                        rec["inner"] = json.load(open(tfile))
                    except ValueError:
                        pass
                    os.unlink(tfile)
                if tool == "palisade-check" and rec["returncode"] == 1:
                    rec["gate"] = "failed: untriaged threats at or above critical"
                    rec["returncode"] = 0
                recs.append(rec)
                raw.write(json.dumps(rec) + "\n")
                raw.flush()
                status = "" if rec["returncode"] == 0 else f"  FAILED rc={rec['returncode']}"
                print(f"round {r + 1}/{max_rounds} N={n} {tool:20s} wall {rec.get('wall_s', float('nan')):8.3f} s"
                      f"  rss {rec.get('maxrss_kb', 0) / 1024:7.1f} MB{status}", flush=True)
    raw.close()
    load_end = loadavg()

    # Threat / finding counts.
    counts = {}
    for n in sizes:
        p = os.path.join(work, f"out_pal_{n}.json")
        if os.path.exists(p):
            with open(p) as fh:
                counts[("palisade", n)] = (len(json.load(fh)), os.path.getsize(p))
        for tool in tools:
            inner = next((x.get("inner") for x in recs if x["tool"] == tool and x["n"] == n and x.get("inner")), None)
            if inner:
                counts[(tool, n)] = (inner.get("n_findings") or inner.get("n_threats") or inner.get("threats"), None)
        p = os.path.join(work, f"out_pytm_{n}.json")
        if os.path.exists(p):
            c = counts.get(("pytm-1.4.0-json", n), (None, None))[0]
            counts[("pytm-1.4.0-json", n)] = (c, os.path.getsize(p))

    def agg(tool, n, key):
        return med([x[key] for x in recs if x["tool"] == tool and x["n"] == n
                    and x["returncode"] == 0 and key in x])

    def cpu(tool, n):
        return med([x["user_s"] + x["sys_s"] for x in recs if x["tool"] == tool and x["n"] == n
                    and x["returncode"] == 0 and "user_s" in x])

    lines = []
    w = lines.append
    w("# Side-by-side whole-process benchmark\n")
    w(f"Written by `scripts/bench/side_by_side.py` on {started}. Every number is the median of "
      "fresh-process runs under `/usr/bin/time -v`, tools interleaved round-robin.\n")
    w(f"- machine: {machine()}")
    w(f"- load average at start {' '.join(load_start)}, at end {' '.join(load_end)} (1, 5, 15 min)")
    w(f"- palisade: `{pal_version}`, release build with `--no-default-features` (CLI only)")
    w(f"- pytm: 1.4.0 in `{py}` ({version_of([py, '--version'])})")
    w(f"- Threat Dragon: owasp-threat-dragon-core@1.4.0 rule engine via `td_bench.js` ({version_of(['node', '--version'])})")
    w("- model: `gen_pytm.py N` (seed 1): N nodes, round(sqrt(N)) boundaries, 2N flows\n")
    whole = [t for t in tools if t != "palisade-in-process"]
    w("| tool | N | runs | threats / findings | output MB | wall s median (min–max) | CPU s | peak RSS MB |")
    w("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        for tool in whole:
            ok = [x for x in recs if x["tool"] == tool and x["n"] == n and x["returncode"] == 0]
            fails = [x for x in recs if x["tool"] == tool and x["n"] == n and x["returncode"] != 0]
            walls = [x["wall_s"] for x in ok if "wall_s" in x]
            c, size = counts.get((tool, n), (None, None))
            rng = f" ({fmt_s(min(walls))}–{fmt_s(max(walls))})" if walls else ""
            fail = f", {len(fails)} failed" if fails else ""
            c_s = str(c) if c is not None else "–"
            size_s = f"{size / 1e6:.1f}" if size else "–"
            w(f"| {tool} | {n} | {len(ok)}{fail} | {c_s} | {size_s} | {fmt_s(med(walls))}{rng} | "
              f"{fmt_s(cpu(tool, n))} | {agg(tool, n, 'maxrss_kb') / 1024:.1f} |")
    w("")
    w("## Ratios: peer / Palisade, same N (wall-clock; CPU = user + system in brackets)\n")
    others = [t for t in whole if not t.startswith("palisade")]
    w("| N | " + " | ".join(others) + " |")
    w("|---|" + "---|" * len(others))

    def ratio(a_, b_):
        return f"{a_ / b_:.0f}×" if a_ == a_ and b_ == b_ and b_ > 0 else "–"

    for n in sizes:
        bw, bc = agg("palisade", n, "wall_s"), cpu("palisade", n)
        w(f"| {n} | " + " | ".join(f"{ratio(agg(t, n, 'wall_s'), bw)} ({ratio(cpu(t, n), bc)})"
                                     for t in others) + " |")
    w("")
    if len(sizes) >= 2:
        lo, hi = min(sizes), max(sizes)
        w(f"## Growth from N={lo} to N={hi} (exponent b in wall ∝ N^b)\n")
        w("| tool | wall b | peak RSS b |")
        w("|---|---|---|")
        for tool in whole:
            wl, wh = agg(tool, lo, "wall_s"), agg(tool, hi, "wall_s")
            rl, rh = agg(tool, lo, "maxrss_kb"), agg(tool, hi, "maxrss_kb")
            f = math.log(hi / lo)
            bw = f"{math.log(wh / wl) / f:.2f}" if wl == wl and wh == wh and wl > 0 else "–"
            br = f"{math.log(rh / rl) / f:.2f}" if rl == rl and rh == rh and rl > 0 else "–"
            w(f"| {tool} | {bw} | {br} |")
        w("")
    if "palisade-in-process" in tools:
        def inner_case(n, prefix, key):
            vals = []
            for x in recs:
                if x["tool"] == "palisade-in-process" and x["n"] == n and x.get("inner"):
                    for c in x["inner"].get("cases", []):
                        if c["case"].startswith(prefix):
                            vals.append(c[key])
            return med(vals)

        def pytm_phase(n, keys):
            return med([sum(x["inner"]["timings"].get(k, 0.0) for k in keys) for x in recs
                        if x["tool"] == "pytm-1.4.0-resolve" and x["n"] == n and x.get("inner")
                        and "timings" in x["inner"]])

        w("## Rule evaluation in process (SPEC §6: < 100 ms at N=10000, ≥ 100× pytm)\n")
        w("Palisade: `analyze` (index + all built-in rules + validation) and `rules only` "
          "(index + evaluation), medians of the in-process benchmark (`benches/core.rs`, 5 runs "
          "each time it is interleaved). pytm 1.4.0: `tm.check()` + `tm.resolve()` measured "
          "inside its resolve-mode runs above (object construction not counted).\n")
        w("| N | Palisade analyze ms (CPU) | Palisade rules only ms (CPU) | pytm check+resolve s | ratio (wall) |")
        w("|---|---|---|---|---|")
        for n in sizes:
            an, anc = inner_case(n, "analyze", "median_ms"), inner_case(n, "analyze", "cpu_median_ms")
            ro, roc = inner_case(n, "rules only", "median_ms"), inner_case(n, "rules only", "cpu_median_ms")
            py_s = pytm_phase(n, ("check_s", "resolve_s"))
            r = f"{py_s * 1e3 / an:.0f}×" if an == an and py_s == py_s and an > 0 else "–"
            w(f"| {n} | {an:.1f} ({anc:.1f}) | {ro:.1f} ({roc:.1f}) | {fmt_s(py_s)} | {r} |")
        w("")

    pal_hi = max(sizes)
    w(f"## Budgets (SPEC §6; defined at N=10000, shown here at N={pal_hi})\n")
    wall = agg("palisade", pal_hi, "wall_s")
    rss = agg("palisade", pal_hi, "maxrss_kb") / 1024
    w(f"- N={pal_hi} `threats --format json`, whole process: {fmt_s(wall)} s wall, "
      f"{fmt_s(cpu('palisade', pal_hi))} s CPU "
      f"(budget 0.3 s: {'met' if wall <= 0.3 else 'MISSED'}); peak RSS {rss:.0f} MB "
      f"(budget 150 MB: {'met' if rss <= 150 else 'MISSED'})")
    if "pytm-1.4.0-json" in tools:
        r = agg("pytm-1.4.0-json", pal_hi, "wall_s") / wall
        w(f"- ≥ 100× faster than pytm 1.4.0 (its `--json` CLI path) at N={pal_hi}: {r:.0f}× "
          f"({'met' if r >= 100 else 'MISSED'})")
    if "pytm-1.4.0-resolve" in tools:
        r = agg("pytm-1.4.0-resolve", pal_hi, "wall_s") / wall
        w(f"- vs pytm 1.4.0 threat generation without output (resolve mode) at N={pal_hi}: {r:.0f}×")
        if "palisade-check" in tools:
            for n in sizes:
                r = agg("pytm-1.4.0-resolve", n, "wall_s") / agg("palisade-check", n, "wall_s")
                rc = cpu("pytm-1.4.0-resolve", n) / cpu("palisade-check", n)
                w(f"- the same without output on both sides, pytm resolve mode ÷ `palisade check` "
                  f"at N={n}: {r:.0f}× wall ({rc:.0f}× CPU) "
                  f"({'met' if r >= 100 else 'MISSED'} against 100×)")
    w("")
    w(f"Raw runs: `{os.path.relpath(raw_path, REPO)}`.")
    md = os.path.join(a.out, "side_by_side.md")
    with open(md, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwrote {md} and {raw_path}")


if __name__ == "__main__":
    main()
