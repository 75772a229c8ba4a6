"""Pure helpers with no Django imports: codes, money and dates.

They sit in `common`, the ground floor, so that every app may use them (DESIGN §3).
"""
