#!/usr/bin/env python3
"""Run a command; print wall time, CPU time and peak RSS of it and its children.

Portable stand-in for GNU time -v, so the benchmark reads the same numbers
for every tool.  Usage: measure.py LABEL -- COMMAND...
"""
import resource
import subprocess
import sys
import time

label = sys.argv[1]
cmd = sys.argv[sys.argv.index("--") + 1:]
start = time.monotonic()
proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = usage.ru_utime + usage.ru_stime
rss_mb = usage.ru_maxrss / 1024  # KiB on Linux
print(f"{label}\t{wall:.2f}\t{cpu:.2f}\t{rss_mb:.0f}\t{proc.returncode}", flush=True)
if proc.returncode not in (0, 1, 2):
    sys.stderr.write(proc.stderr.decode(errors="replace")[-2000:])
