#!/usr/bin/env python3
"""Make a large scan.json from a small one, for the report benchmark.

Usage: synth_fleet.py DEMO_SCAN.json SERVERS > scan.json

Server i copies demo server i % 7 (certificates and all, so `excert
report` judges real DER) under a name of its own that keeps the demo
server's short name, which its backend certificate carries (ex03.n0017.
contoso.lab), with its own address, spread over 20 sites and two DAGs
per site. Verdicts, findings
and act-now groups therefore come in the demo fleet's proportions.
"""
import copy
import json
import sys

demo = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
by_host = {}
for e in demo["endpoints"]:
    by_host.setdefault(e["host"], []).append(e)
templates = [by_host[h] for h in sorted(by_host)]

endpoints = []
for i in range(n):
    short = templates[i % len(templates)][0]["host"].split(".")[0]
    host = f"{short}.n{i + 1:04d}.contoso.lab"
    site = f"SITE{i % 20 + 1:02d}"
    for e in templates[i % len(templates)]:
        e = copy.deepcopy(e)
        e["host"] = host
        e["sni"] = host
        e["address"] = f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}"
        e["group"] = {"site": site, "dag": f"{site}-DAG{i % 2 + 1}"}
        e.pop("source", None)
        endpoints.append(e)

demo["endpoints"] = endpoints
demo["servers"] = []  # judged again by `excert report`
demo["expiry_cliffs"] = []
json.dump(demo, sys.stdout)
