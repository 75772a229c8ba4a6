"""Monthly statistics: snapshots (MonthlySummary), district figures, the 数读 dashboard and
the scheduled report emails. See `sections` for how the figures are computed."""
