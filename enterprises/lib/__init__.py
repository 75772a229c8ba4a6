"""Pure helpers with no Django imports: codes, money and dates.

They sit in the lowest domain app so that every other app may use them (DESIGN §3).
"""
