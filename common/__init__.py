"""The ground floor (DESIGN §3): mechanisms every app may use; imports no app of ours."""
