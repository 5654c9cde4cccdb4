#!/usr/bin/env python3
"""Count what each tool captured, so speed is compared on equal work.

Usage: check.py excert SCAN.json | check.py nmap OUT.xml | check.py sslyze OUT.json
Prints: endpoints with a certificate, and certificates captured in all.
"""
import json
import sys
import xml.etree.ElementTree as ET

kind, path = sys.argv[1], sys.argv[2]
if kind == "excert":
    scan = json.load(open(path))
    ok = [e for e in scan["endpoints"] if e["status"] == "ok"]
    methods = {}
    for e in ok:
        m = (e.get("tls") or {}).get("method")
        methods[m] = methods.get(m, 0) + 1
    mapped = sum(1 for e in ok if (e.get("tls") or {}).get("versions_scanned"))
    certs = sum(len(e["chain"]) for e in ok)
    statuses = {}
    for e in scan["endpoints"]:
        statuses[e["status"]] = statuses.get(e["status"], 0) + 1
    total = len(scan["endpoints"])
    print(f"{len(ok)}/{total} chains ({certs} certificates), protocol map {mapped}/{len(ok)};"
          f" via {methods}; statuses {statuses}")
elif kind == "nmap":
    root = ET.parse(path).getroot()
    n = sum(1 for s in root.iter("script") if s.get("id") == "ssl-cert" and s.find("elem[@key='pem']") is not None)
    print(f"{n} endpoints with a certificate, {n} certificates (leaf only)")
elif kind == "sslyze":
    data = json.load(open(path))
    n = certs = 0
    for r in data.get("server_scan_results", []):
        try:
            deps = r["scan_result"]["certificate_info"]["result"]["certificate_deployments"]
        except (KeyError, TypeError):
            continue
        if deps:
            n += 1
            certs += len(deps[0]["received_certificate_chain"])
    print(f"{n} endpoints with a certificate, {certs} certificates")
