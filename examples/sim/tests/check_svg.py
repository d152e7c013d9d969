#!/usr/bin/env python3
"""Checks the two pictures of parallel-sim with Python's XML parser.

Timeline: runs SCENARIO with --timeline and --format json; the SVG parses,
holds one span per call that started, per configuration; every section has
an in-flight curve whose peak is the configuration's lanes, and every
section's axis is the same one (the longest run's), with each wall line
placed on it.

Sweep plot: runs SCENARIO with --sweep bound=1..3 --plot and --format json;
the SVG parses and has one wall point and one p99 point per bound.

Usage: check_svg.py PARALLEL_SIM SCENARIO TIMELINE.svg PLOT.svg"""
import json
import subprocess
import sys
import xml.dom.minidom

sim, scenario, svg, plot = sys.argv[1:5]


def classes(node):
    return node.getAttribute("class").split()


run = subprocess.run([sim, scenario, "--format", "json", "--timeline", svg],
                     capture_output=True, text=True, timeout=110)
if run.returncode != 0:
    sys.exit(f"parallel-sim exited {run.returncode}: {run.stderr}")
report = json.loads(run.stdout)
doc = xml.dom.minidom.parse(svg)
sections = [g for g in doc.getElementsByTagName("g") if "section" in classes(g)]
if len(sections) != len(report["configs"]):
    sys.exit(f"{len(sections)} sections for {len(report['configs'])} configs")
axes = set()
longest = max(c["measured_ms"] for c in report["configs"])
for g, c in zip(sections, report["configs"]):
    spans = [r for r in g.getElementsByTagName("rect") if "span" in classes(r)]
    started = c["ok"] + c["failed"] + c["cancelled"] + c["panicked"]
    if len(spans) != started:
        sys.exit(f"{c['label']}: {len(spans)} spans, {started} calls started")
    if c["ok"] + c["failed"] + c["cancelled"] + c["panicked"] + c["skipped"] != c["calls"]:
        sys.exit(f"{c['label']}: counts do not add up to {c['calls']}")
    curves = [p for p in g.getElementsByTagName("polygon") if "inflight" in classes(p)]
    if len(curves) != 1:
        sys.exit(f"{c['label']}: {len(curves)} in-flight curves")
    if int(curves[0].getAttribute("data-peak")) != c["lanes"]:
        sys.exit(f"{c['label']}: curve peak {curves[0].getAttribute('data-peak')}, "
                 f"{c['lanes']} lanes")
    axis = [l for l in g.getElementsByTagName("line") if l.hasAttribute("data-axis-ms")]
    if len(axis) != 1:
        sys.exit(f"{c['label']}: {len(axis)} time axes")
    axis_ms = float(axis[0].getAttribute("data-axis-ms"))
    axes.add(axis_ms)
    x0, x1 = float(axis[0].getAttribute("x1")), float(axis[0].getAttribute("x2"))
    wall = [l for l in g.getElementsByTagName("line") if "wall" in classes(l)][0]
    expect = x0 + (x1 - x0) * c["measured_ms"] / axis_ms
    if abs(float(wall.getAttribute("x1")) - expect) > 0.6:
        sys.exit(f"{c['label']}: wall line at {wall.getAttribute('x1')}, expected {expect:.1f}")
if len(axes) != 1:
    sys.exit(f"{len(axes)} different time axes: {sorted(axes)}")
if axes.pop() < longest - 0.01:
    sys.exit(f"the axis is shorter than the longest run ({longest} ms)")
print(f"timeline ok: {len(sections)} sections on one axis, spans match the counts")

run = subprocess.run([sim, scenario, "--sweep", "bound=1..3", "--format", "json",
                      "--plot", plot], capture_output=True, text=True, timeout=110)
if run.returncode != 0:
    sys.exit(f"parallel-sim --sweep exited {run.returncode}: {run.stderr}")
report = json.loads(run.stdout)
doc = xml.dom.minidom.parse(plot)
circles = doc.getElementsByTagName("circle")
for kind in ("wall", "p99"):
    bounds = sorted(int(c.getAttribute("data-bound")) for c in circles if kind in classes(c))
    if bounds != [p["bound"] for p in report["points"] if kind == "wall" or p["p99_ms"] is not None]:
        sys.exit(f"plot: {kind} points at bounds {bounds}")
print(f"plot ok: {len(report['points'])} bounds")
