"""Web pages of the enterprises app: the enterprise's own pages and the staff service desk."""
