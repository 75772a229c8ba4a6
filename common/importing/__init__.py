"""Import and export of official lists (DESIGN §5), shared by every app's resources."""
