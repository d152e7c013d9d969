#!/usr/bin/env python3
"""Runs parallel-sim with --timeline and --format json, then checks that the
SVG parses as XML and holds one span per call that started, per config."""
import json
import subprocess
import sys
import xml.dom.minidom

sim, scenario, svg = sys.argv[1:4]
run = subprocess.run([sim, scenario, "--format", "json", "--timeline", svg],
                     capture_output=True, text=True, timeout=110)
if run.returncode != 0:
    sys.exit(f"parallel-sim exited {run.returncode}: {run.stderr}")
report = json.loads(run.stdout)
doc = xml.dom.minidom.parse(svg)
sections = [g for g in doc.getElementsByTagName("g")
            if "section" in g.getAttribute("class").split()]
if len(sections) != len(report["configs"]):
    sys.exit(f"{len(sections)} sections for {len(report['configs'])} configs")
for g, c in zip(sections, report["configs"]):
    spans = [r for r in g.getElementsByTagName("rect")
             if "span" in r.getAttribute("class").split()]
    started = c["ok"] + c["failed"] + c["cancelled"] + c["panicked"]
    if len(spans) != started:
        sys.exit(f"{c['label']}: {len(spans)} spans, {started} calls started")
    if c["ok"] + c["failed"] + c["cancelled"] + c["panicked"] + c["skipped"] != c["calls"]:
        sys.exit(f"{c['label']}: counts do not add up to {c['calls']}")
print(f"ok: {len(sections)} sections, spans match the counts")
