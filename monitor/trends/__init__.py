"""Trends: stories per rule over time, spike alerts, charts and the briefing report.

counts.py reads the store (stories, not copies), spikes.py is the statistical test,
check.py the spike check the daemon runs, chart.py draws the SVG charts, report.py builds
`monitor report`. Nothing here is imported by the daemon's main process until a trends
job first runs.
"""
