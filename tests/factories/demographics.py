"""Population figures as Statistics Denmark publishes them (FOLK1A)."""

from __future__ import annotations

FOLK1A = """OMRÅDE;KØN;ALDER;TID;INDHOLD
Aarhus;Kvinder;17 år;2026K3;900
Aarhus;Kvinder;18 år;2026K3;1000
Aarhus;Kvinder;29 år;2026K3;1100
Aarhus;Mænd;25 år;2026K3;1200
Randers;Mænd;100 år;2026K3;3
Ringkøbing-Skjern;Kvinder;45 år;2026K3;400
"""
