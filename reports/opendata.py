"""Bulk open-data downloads per cycle (CSV, JSON and XLSX in one ZIP), rebuilt on publication."""
