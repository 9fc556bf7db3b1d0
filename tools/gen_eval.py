#!/usr/bin/env python3
"""Generates the French judged query set of the demo catalog: data/eval/queries.tsv and
data/eval/qrels.tsv, and the similar-products judgments data/eval/similar.tsv.

Judgments come from the generator's ground truth (each product's `productType`, attributes and
price in data/demo/products.ndjson), never from the engine's output. Each query is written from a
spec: a product type (or a category), soft attributes (colour, material, style, room) and hard
constraints (a price range). A product's grade:

  3  the right type, every stated attribute and within the price range;
  2  the right type and the price range, one stated attribute off;
  1  the same category (or the right type outside the price range, or two attributes off);
  0  anything else (not written).

Queries of the `absent` and `absent-held-out` classes use words the catalog never uses (the
held-out half was kept from the thesaurus's authors); `english` names the types in English.
Exact-name queries grade the named product 3 (and any other product of the very same name) and the products of its type with its colour and
material 1 (substitutes). Queries of the `nothing` class name products the store does not sell and
have no judgments. Run from the repository root:

    python3 tools/gen_eval.py            # writes data/eval/
    python3 tools/gen_eval.py --check    # fails when data/eval/ is not what it would write
"""

import argparse
import json
import random
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 11

# Product type → (singular, plural) as shoppers write them.
TYPE_WORDS = {
    "lampe-de-chevet": ("lampe de chevet", "lampes de chevet"),
    "lampe-a-poser": ("lampe à poser", "lampes à poser"),
    "lampe-de-bureau": ("lampe de bureau", "lampes de bureau"),
    "lampadaire": ("lampadaire", "lampadaires"),
    "suspension": ("suspension", "suspensions"),
    "lustre": ("lustre", "lustres"),
    "applique-murale": ("applique murale", "appliques murales"),
    "guirlande-lumineuse": ("guirlande lumineuse", "guirlandes lumineuses"),
    "canape": ("canapé", "canapés"),
    "canape-angle": ("canapé d'angle", "canapés d'angle"),
    "canape-convertible": ("canapé convertible", "canapés convertibles"),
    "fauteuil": ("fauteuil", "fauteuils"),
    "pouf": ("pouf", "poufs"),
    "table-basse": ("table basse", "tables basses"),
    "table-a-manger": ("table à manger", "tables à manger"),
    "table-d-appoint": ("table d'appoint", "tables d'appoint"),
    "console": ("console", "consoles"),
    "chaise": ("chaise", "chaises"),
    "tabouret-de-bar": ("tabouret de bar", "tabourets de bar"),
    "banc": ("banc", "bancs"),
    "lit": ("lit", "lits"),
    "tete-de-lit": ("tête de lit", "têtes de lit"),
    "bureau": ("bureau", "bureaux"),
    "miroir": ("miroir", "miroirs"),
    "vase": ("vase", "vases"),
    "cache-pot": ("cache-pot", "cache-pots"),
    "bougie-parfumee": ("bougie parfumée", "bougies parfumées"),
    "bougeoir": ("bougeoir", "bougeoirs"),
    "cadre-photo": ("cadre photo", "cadres photo"),
    "affiche": ("affiche", "affiches"),
    "horloge-murale": ("horloge murale", "horloges murales"),
    "plante-artificielle": ("plante artificielle", "plantes artificielles"),
    "coussin": ("coussin", "coussins"),
    "plaid": ("plaid", "plaids"),
    "tapis": ("tapis", "tapis"),
    "rideau": ("rideau", "rideaux"),
    "housse-de-couette": ("housse de couette", "housses de couette"),
    "drap-housse": ("drap housse", "draps housses"),
    "taie-d-oreiller": ("taie d'oreiller", "taies d'oreiller"),
    "serviette-de-bain": ("serviette de bain", "serviettes de bain"),
    "tapis-de-bain": ("tapis de bain", "tapis de bain"),
    "etagere-murale": ("étagère murale", "étagères murales"),
    "bibliotheque": ("bibliothèque", "bibliothèques"),
    "panier": ("panier", "paniers"),
    "boite-de-rangement": ("boîte de rangement", "boîtes de rangement"),
    "commode": ("commode", "commodes"),
    "buffet": ("buffet", "buffets"),
    "meuble-tv": ("meuble tv", "meubles tv"),
    "portemanteau": ("portemanteau", "portemanteaux"),
    "armoire": ("armoire", "armoires"),
}

# Synonyms and paraphrases → product type (words the catalog's names do not use).
SYNONYMS = [
    ("sofa", "canape"),
    ("clic-clac", "canape-convertible"),
    ("bz", "canape-convertible"),
    ("luminaire pour table de nuit", "lampe-de-chevet"),
    ("lampe sur pied", "lampadaire"),
    ("plafonnier suspendu", "suspension"),
    ("bahut", "buffet"),
    ("enfilade", "buffet"),
    ("pendule", "horloge-murale"),
    ("poster", "affiche"),
    ("carpette", "tapis"),
    ("voilage", "rideau"),
    ("penderie", "armoire"),
    ("chiffonnier", "commode"),
    ("repose-pieds", "pouf"),
    ("guéridon", "table-d-appoint"),
    ("bout de canapé", "table-d-appoint"),
    ("chandelier", "bougeoir"),
    ("meuble à livres", "bibliotheque"),
    ("corbeille tressée", "panier"),
    ("descente de bain", "tapis-de-bain"),
    ("fausse plante verte", "plante-artificielle"),
    ("chaise haute de cuisine", "tabouret-de-bar"),
]

# Elided forms.
ELISIONS = [
    ("l'applique murale", "applique-murale"),
    ("l'armoire", "armoire"),
    ("l’étagère murale", "etagere-murale"),
    ("l'horloge", "horloge-murale"),
    ("table d'appoint", "table-d-appoint"),
    ("canape d angle", "canape-angle"),
    ("taie d’oreiller", "taie-d-oreiller"),
    ("lampe d'ambiance", "lampe-a-poser"),
]

# Attribute queries: type, {facet: value}, and how they are written.
ATTRIBUTE_QUERIES = [
    ("canapé velours", "canape", {"material": "velours"}),
    ("canapé en cuir", "canape", {"material": "cuir"}),
    ("coussin bleu canard", "coussin", {"color": "bleu canard"}),
    ("coussins vert sauge", "coussin", {"color": "vert sauge"}),
    ("plaid en laine", "plaid", {"material": "laine"}),
    ("table basse chêne", "table-basse", {"material": "chêne"}),
    ("table basse marbre", "table-basse", {"material": "marbre"}),
    ("fauteuil rotin", "fauteuil", {"material": "rotin"}),
    ("fauteuil scandinave", "fauteuil", {"style": "scandinave"}),
    ("suspension en laiton", "suspension", {"material": "laiton"}),
    ("lampe de chevet céramique", "lampe-de-chevet", {"material": "céramique"}),
    ("lampadaire industriel", "lampadaire", {"style": "industriel"}),
    ("miroir salle de bain", "miroir", {"room": "salle de bain"}),
    ("applique murale noire", "applique-murale", {"color": "noir"}),
    ("chaise velours", "chaise", {"material": "velours"}),
    ("buffet noyer", "buffet", {"material": "noyer"}),
    ("commode blanche", "commode", {"color": "blanc"}),
    ("rideau lin", "rideau", {"material": "lin"}),
    ("tapis jute", "tapis", {"material": "jute"}),
    ("vase en verre", "vase", {"material": "verre"}),
    ("bougeoir laiton", "bougeoir", {"material": "laiton"}),
    ("étagère murale métal", "etagere-murale", {"material": "métal"}),
    ("console vintage", "console", {"style": "vintage"}),
    ("lit bohème", "lit", {"style": "bohème"}),
    ("housse de couette gris anthracite", "housse-de-couette", {"color": "gris anthracite"}),
    ("tabouret de bar industriel", "tabouret-de-bar", {"style": "industriel"}),
    ("panier osier", "panier", {"material": "osier"}),
]

# Natural-language constraints: text, type (or None with a category), soft attributes, prices.
CONSTRAINED = [
    ("table basse en chêne moins de 300 euros", "table-basse", {"material": "chêne"}, None, 300),
    ("lampe de chevet moins de 50 euros", "lampe-de-chevet", {}, None, 50),
    ("canapé velours moins de 1000 €", "canape", {"material": "velours"}, None, 1000),
    ("fauteuil en rotin à moins de 400 euros", "fauteuil", {"material": "rotin"}, None, 400),
    ("tapis laine entre 100 et 300 €", "tapis", {"material": "laine"}, 100, 300),
    ("miroir à partir de 200 euros", "miroir", {}, 200, None),
    ("coussin lin pas plus de 30 euros", "coussin", {"material": "lin"}, None, 30),
    ("suspension rotin < 150€", "suspension", {"material": "rotin"}, None, 150),
    ("chaise scandinave moins de 150 euros", "chaise", {"style": "scandinave"}, None, 150),
    ("buffet en noyer 800 € max", "buffet", {"material": "noyer"}, None, 800),
    ("plaid moins de 40 euros", "plaid", {}, None, 40),
    ("vase céramique moins de 60 euros", "vase", {"material": "céramique"}, None, 60),
    ("bibliothèque chêne à partir de 400 euros", "bibliotheque", {"material": "chêne"}, 400, None),
    ("lampadaire moins de 150 euros", "lampadaire", {}, None, 150),
    ("commode entre 300 et 700 euros", "commode", {}, 300, 700),
    ("bougie parfumée moins de 20 euros", "bougie-parfumee", {}, None, 20),
    ("lit en bois massif moins de 900 euros", "lit", {"material": "bois massif"}, None, 900),
    ("rideau velours moins de 80 €", "rideau", {"material": "velours"}, None, 80),
    ("table à manger marbre plus de 1000 euros", "table-a-manger", {"material": "marbre"}, 1000, None),
    ("armoire 2 portes moins de 1200 euros", "armoire", {}, None, 1200),
]

# Things the store does not sell.
NOTHING = [
    "vélo électrique",
    "smartphone",
    "pneus hiver",
    "tondeuse à gazon",
    "croquettes pour chat",
    "ordinateur portable",
    "chaussures de running",
    "perceuse sans fil",
    "sauna infrarouge",
    "matelas",
    "nappe",
    "barbecue",
    "aspirateur robot",
    "machine à café",
    "lave-vaisselle",
    "piscine gonflable",
    "trottinette électrique",
    "casque audio",
    "cartouche d'encre",
    "crème solaire",
    "jeu vidéo",
    "robe de soirée",
]

# Words the catalog never uses, written before the thesaurus (data/lang/thesaurus-fr.toml) and
# split at random into a half the thesaurus's authors saw (`absent`) and a held-out half
# (`absent-held-out`) they did not: the held-out figure says whether the thesaurus generalises.
# Older or regional words, more specific and more generic words, everyday phrases → the
# product types that answer them.
ABSENT = [
    ("méridienne", ["canape"]),
    ("chauffeuse", ["fauteuil"]),
    ("ottomane", ["pouf"]),
    ("vaisselier", ["buffet"]),
    ("semainier", ["commode"]),
    ("bonheur-du-jour", ["bureau"]),
    ("chesterfield", ["canape"]),
    ("trumeau", ["miroir"]),
    ("housse de duvet", ["housse-de-couette"]),
    ("couvre-lit", ["plaid"]),
    ("photophore", ["bougeoir"]),
    ("tableau déco", ["affiche"]),
    ("meuble hi-fi", ["meuble-tv"]),
    ("lit mezzanine", ["lit"]),
    ("drap de bain", ["serviette-de-bain"]),
    ("paillasson", ["tapis"]),
    ("kilim", ["tapis"]),
    ("galette de chaise", ["coussin"]),
    ("pot de fleurs", ["cache-pot"]),
    ("amphore", ["vase"]),
    ("malle", ["boite-de-rangement"]),
    ("coffre à jouets", ["boite-de-rangement"]),
    ("pour ranger les livres", ["bibliotheque"]),
    ("pour ranger mes vêtements", ["armoire"]),
    ("pour accrocher les manteaux", ["portemanteau"]),
    ("lumière pour lire au lit", ["lampe-de-chevet"]),
    ("pour mettre des fleurs", ["vase"]),
    ("table de salon", ["table-basse"]),
    ("causeuse", ["canape"]),
    ("douillette", ["housse-de-couette"]),
    ("torchère", ["lampadaire"]),
    ("crédence", ["buffet"]),
    ("perroquet", ["portemanteau"]),
    ("chaise de bar", ["tabouret-de-bar"]),
    ("de quoi s'asseoir", ["chaise", "fauteuil", "tabouret-de-bar", "banc", "pouf"]),
    ("literie", ["drap-housse", "housse-de-couette", "taie-d-oreiller"]),
    ("pêle-mêle", ["cadre-photo"]),
    ("brise-bise", ["rideau"]),
    ("draperie", ["rideau"]),
    ("rocking-chair", ["fauteuil"]),
    ("desserte", ["table-d-appoint"]),
    ("sellette", ["table-d-appoint"]),
    ("lampe suspendue", ["suspension"]),
    ("lampe murale", ["applique-murale"]),
    ("bibelot", ["vase", "bougeoir", "bougie-parfumee", "cadre-photo", "horloge-murale",
                 "plante-artificielle", "miroir", "affiche", "cache-pot"]),
    ("descente de lit", ["tapis"]),
    ("lanterne", ["bougeoir"]),
    ("lampions", ["guirlande-lumineuse"]),
]

# English names of what the store sells: type, and soft attributes as the catalog writes them.
ENGLISH = [
    ("armchair", "fauteuil", {}),
    ("floor lamp", "lampadaire", {}),
    ("bedside lamp", "lampe-de-chevet", {}),
    ("desk lamp", "lampe-de-bureau", {}),
    ("coffee table", "table-basse", {}),
    ("side table", "table-d-appoint", {}),
    ("bar stool", "tabouret-de-bar", {}),
    ("bookcase", "bibliotheque", {}),
    ("chest of drawers", "commode", {}),
    ("wardrobe", "armoire", {}),
    ("coat rack", "portemanteau", {}),
    ("cushion", "coussin", {}),
    ("rug", "tapis", {}),
    ("curtains", "rideau", {}),
    ("duvet cover", "housse-de-couette", {}),
    ("pillowcase", "taie-d-oreiller", {}),
    ("bath towel", "serviette-de-bain", {}),
    ("wall clock", "horloge-murale", {}),
    ("scented candle", "bougie-parfumee", {}),
    ("picture frame", "cadre-photo", {}),
    ("string lights", "guirlande-lumineuse", {}),
    ("velvet armchair", "fauteuil", {"material": "velours"}),
    ("oak dining table", "table-a-manger", {"material": "chêne"}),
    ("black floor lamp", "lampadaire", {"color": "noir"}),
]


def strip_accents(text):
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    )


def misspell(word, edits, rng):
    """`edits` random edits (delete, substitute, swap of neighbours) inside the word's letters."""
    letters = list(word)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    for _ in range(edits):
        positions = [i for i, c in enumerate(letters) if c.isalpha()]
        i = rng.choice(positions[1:-1] or positions)
        kind = rng.choice(["delete", "substitute", "swap"])
        if kind == "delete" and len(positions) > 4:
            del letters[i]
        elif kind == "swap" and i + 1 < len(letters) and letters[i + 1].isalpha():
            letters[i], letters[i + 1] = letters[i + 1], letters[i]
        else:
            letters[i] = rng.choice([c for c in alphabet if c != letters[i]])
    return "".join(letters)


class Catalog:
    def __init__(self, path):
        self.products = [json.loads(line) for line in open(path, encoding="utf-8")]
        self.by_type = {}
        for p in self.products:
            self.by_type.setdefault(p["productType"], []).append(p)
        self.category_of_type = {t: ps[0]["categoryId"] for t, ps in self.by_type.items()}
        categories = [
            json.loads(line)
            for line in open(Path(path).parent / "categories.ndjson", encoding="utf-8")
        ]
        self.slug = {c["id"]: c["slug"] for c in categories}
        self.parent = {c["id"]: c["parentId"] for c in categories}

    def grades(self, spec):
        """product id → grade (1..3) for a spec."""
        types = spec["types"]
        category = spec["category"]
        attributes = spec.get("attributes", {})
        low, high = spec.get("min"), spec.get("max")
        out = {}
        for p in self.products:
            in_range = (low is None or p["price"] >= low) and (high is None or p["price"] <= high)
            misses = sum(
                1 for facet, value in attributes.items() if value not in p["attributes"].get(facet, [])
            )
            same_category = category in (p["categoryId"], self.parent.get(p["categoryId"]))
            if p["productType"] in types and in_range and misses == 0:
                grade = 3
            elif p["productType"] in types and in_range and misses == 1:
                grade = 2
            elif same_category and (p["productType"] in types or not types):
                grade = 1
            elif same_category:
                grade = 1
            else:
                continue
            out[p["id"]] = grade
        if spec.get("product"):
            # An exact name asks for that product: the others of its type are substitutes.
            out = {pid: 1 for pid, g in out.items() if g >= 2}
            # Products that bear the very same name are named alike: the query cannot tell them
            # apart.
            for p in self.products:
                if p["name"] == spec["name"]:
                    out[p["id"]] = 3
        return out


def build(catalog):
    rng = random.Random(SEED)
    queries = []  # (id, text, class, spec)

    def add(text, klass, spec):
        queries.append((f"q{len(queries) + 1:03d}", text, klass, spec))

    def type_spec(t, **extra):
        spec = {"types": [t], "category": catalog.category_of_type[t]}
        spec.update(extra)
        return spec

    def types_spec(kinds):
        """Several types: their category if they share it, else the one above them all."""
        categories = {catalog.category_of_type[t] for t in kinds}
        if len(categories) > 1:
            parents = {catalog.parent[c] for c in categories}
            assert len(parents) == 1, kinds
            categories = parents
        return {"types": kinds, "category": categories.pop()}

    types = sorted(TYPE_WORDS)
    for t in types:
        add(TYPE_WORDS[t][0], "type", type_spec(t))
    for t in rng.sample(types, 20):
        singular, plural = TYPE_WORDS[t]
        if plural != singular:
            add(plural, "plural", type_spec(t))
    # Misspellings of words the engine's typo budget covers: 1 edit from 4 letters, 2 from 8.
    for t in rng.sample([t for t in types if max(map(len, TYPE_WORDS[t][0].split())) >= 4], 36):
        text = TYPE_WORDS[t][0]
        longest = max(text.split(), key=len)
        folded = strip_accents(text)
        if folded != text and len(queries) % 3 == 0:
            add(folded, "misspelling", type_spec(t))
            continue
        edits = 2 if len(longest) >= 8 else 1
        add(text.replace(longest, misspell(longest, edits, rng), 1), "misspelling", type_spec(t))
    for text, t in ELISIONS:
        add(text, "elision", type_spec(t))
    for text, t in SYNONYMS:
        add(text, "synonym", type_spec(t))
    for text, t, attributes in ATTRIBUTE_QUERIES:
        add(text, "attribute", type_spec(t, attributes=attributes))
    for text, t, attributes, low, high in CONSTRAINED:
        add(text, "constraint", type_spec(t, attributes=attributes, min=low, max=high))
    for p in rng.sample(catalog.products, 16):
        attributes = {f: p["attributes"][f][0] for f in ("color", "material") if p["attributes"].get(f)}
        add(
            p["name"],
            "exact",
            type_spec(p["productType"], attributes=attributes, product=p["id"], name=p["name"]),
        )
    for text in NOTHING:
        add(text, "nothing", None)
    absent = list(ABSENT)
    random.Random(SEED + 2).shuffle(absent)
    for i, (text, kinds) in enumerate(absent):
        klass = "absent" if i % 2 == 0 else "absent-held-out"
        add(text, klass, types_spec(kinds))
    for text, t, attributes in ENGLISH:
        add(text, "english", type_spec(t, attributes=attributes))
    return queries


def similar_judgments(catalog):
    """Anchors for `eval --similar`: 40 products; a neighbour of the same type is grade 1, of the
    same type and style grade 2."""
    rng = random.Random(SEED + 1)
    lines = ["anchor_id\tproduct_id\tgrade"]
    for anchor in sorted(rng.sample(catalog.products, 40), key=lambda p: p["id"]):
        style = set(anchor["attributes"].get("style", []))
        for p in catalog.by_type[anchor["productType"]]:
            if p["id"] == anchor["id"]:
                continue
            grade = 2 if style & set(p["attributes"].get("style", [])) else 1
            lines.append(f"{anchor['id']}\t{p['id']}\t{grade}")
    return "\n".join(lines) + "\n"


def write(catalog, queries, out):
    out.mkdir(parents=True, exist_ok=True)
    lines = ["id\ttext\tclass\tcategory\tmin_price\tmax_price"]
    qrels = ["query_id\tproduct_id\tgrade"]
    for qid, text, klass, spec in queries:
        if spec is None:
            lines.append(f"{qid}\t{text}\t{klass}\t\t\t")
            continue
        # The stated category constraint: the type's category (a hit elsewhere is a violation).
        category = catalog.slug[spec["category"]]
        low = "" if spec.get("min") is None else str(spec["min"])
        high = "" if spec.get("max") is None else str(spec["max"])
        lines.append(f"{qid}\t{text}\t{klass}\t{category}\t{low}\t{high}")
        for pid, grade in sorted(catalog.grades(spec).items()):
            qrels.append(f"{qid}\t{pid}\t{grade}")
    return {
        out / "queries.tsv": "\n".join(lines) + "\n",
        out / "qrels.tsv": "\n".join(qrels) + "\n",
        out / "similar.tsv": similar_judgments(catalog),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--catalog", default=ROOT / "data/demo/products.ndjson", type=Path)
    parser.add_argument("--out", default=ROOT / "data/eval", type=Path)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    catalog = Catalog(args.catalog)
    files = write(catalog, build(catalog), args.out)
    if args.check:
        stale = [str(p) for p, text in files.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
        if stale:
            sys.exit(f"out of date, run python3 tools/gen_eval.py: {', '.join(stale)}")
        return
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    n = len(next(iter(files.values())).splitlines()) - 1
    print(f"wrote {n} queries to {args.out}")


if __name__ == "__main__":
    main()
