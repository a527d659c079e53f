"""Reusable Qt widgets of depthlens (chart, control panel, views)."""
