#!/usr/bin/env python3
"""Writes data/lang/elsewhere-fr.txt: the names of what a home-furnishing store does not sell,
from the Google product taxonomy in French (the design folder's copy, bundled nowhere else).

The engine embeds these names beside the store's own (its category names and product types)
and reads a query none of whose words matched as "not sold here" when it is closer to a name
of this list than to any of the store's (see core/src/search/empty.rs). Kept: every category
of depth 1 or 2, and of depth 3 under "Maison et jardin", outside the subtrees the store sells
from (SOLD below). Run from the repository root:

    python3 tools/thesaurus/elsewhere.py TAXONOMY_FR_FILE     # writes data/lang/elsewhere-fr.txt
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# The taxonomy's subtrees the store sells from: lighting, furniture, decorations, linens,
# storage.
SOLD = [
    ["Meubles"],
    ["Maison et jardin", "Luminaires"],
    ["Maison et jardin", "Accessoires pour luminaires"],
    ["Maison et jardin", "Décorations"],
    ["Maison et jardin", "Linge"],
    ["Maison et jardin", "Produits ménagers", "Rangement et organisation"],
]


def main():
    source = Path(sys.argv[1])
    lines = source.read_text(encoding="utf-8").splitlines()
    version = lines[0].lstrip("# ").strip()
    names = set()
    for line in lines[1:]:
        path = line.split(" - ", 1)[1].split(" > ")
        if any(path[: len(s)] == s for s in SOLD):
            continue
        if len(path) <= 2 or (path[0] == "Maison et jardin" and len(path) <= 3):
            names.add(path[-1])
    header = [
        "# What a home-furnishing store does not sell: category names of the Google product",
        f"# taxonomy in French ({version}; Google Merchant Center, used as reference data), depth 1",
        "# and 2, and 3 under « Maison et jardin », outside the subtrees the store sells from.",
        "# Written by tools/thesaurus/elsewhere.py; read by core/src/search/empty.rs.",
    ]
    out = ROOT / "data/lang/elsewhere-fr.txt"
    out.write_text("\n".join(header + sorted(names)) + "\n", encoding="utf-8")
    print(f"wrote {len(names)} names to {out}")


if __name__ == "__main__":
    main()
