#!/usr/bin/env python3
"""Deterministic generator of a realistic French home-decor catalog in the export format
(`data/catalog-format.md`, the design folder's contract grown backwards compatibly).

    python3 tools/gen_catalog.py --out data/demo                      # the committed demo export
    python3 tools/gen_catalog.py --products 100000 --seed 7 --out /tmp/cat100k

Same arguments, same bytes: one `random.Random(seed)` for everything the first contract had,
a second one (the lifecycle stream) for fields added since, a third for carts, fixed iteration
orders, no set iterated. Products, categories and reviews are drawn before anything else, so
changes to orders, users, wishlists or carts never move them.

What it models, so that search, recommendations, analytics and evaluation have real structure
to find:
- five top categories and their subcategories (names in the spirit of the Google product
  taxonomy, fr-FR: "Veilleuses et lampes d'ambiance", "Buffets et bahuts"...);
- product types with French names and grammatical gender, so colours agree ("Lampe blanche",
  "Canapé blanc"); names like "Lampe de chevet Alba en laiton";
- descriptions of a few sentences that paraphrase the type ("luminaire de table de nuit")
  rather than repeat the name, sometimes with HTML;
- attributes (colour, material, style, room, dimensions) drawn from what fits the type, prices
  within the type's band, stock (some out of stock), featured items, reviews;
- orders whose baskets follow co-purchase rules (a sofa often with cushions, a plaid, a rug),
  with a preference for the anchor's style, so "bought together" has signal; within a type a
  few best-sellers and a long tail;
- two years of orders (2024-11-06 .. 2026-11-06, ids in time order) shaped like a French
  home-decor shop's: growth (x2.2 over the two years), a weekly cycle (Sunday and Monday high,
  Saturday low), the soldes (winter and summer, on their national dates), Black Friday to
  Cyber Monday, December before Christmas, a quiet Christmas and August; during the soldes
  and Black Friday about half the lines are sold 20 to 40 % off (the line's price is the price
  paid, the total their sum);
- product launches (sold from their creation, a spike in their first weeks) and stock-outs
  (best-sellers out for a few weeks then restocked; the catalog's products at stock 0 out
  since 10 to 40 days), a line that cannot be sold being drawn again or dropped;
- customers: a little over half the orders are a new customer's first, the others a returning
  customer's, most often a recent one's, so acquisition and retention cohorts mean something;
- an order lifecycle: statuses consistent with their age and timestamps (paidAt, shippedAt,
  deliveredAt, cancelledAt; carrier and tracking number once shipped), shipping countries and
  overseas or Corsican postal codes (a returning customer's usually the same), products' lead
  times and personalised goods, and the users (users.ndjson: every customer, whose account
  predates their first order and review, and accounts that never ordered);
- carts over the last 180 days (carts.ndjson): the cart each order came from, and abandoned
  carts, about 2.3 times as many, guests' or signed-in customers'.
Each product also carries `productType` (an unknown field to the engine, kept in the replica),
the ground truth the evaluation set is derived from.
"""
import argparse
import bisect
import datetime
import functools
import itertools
import json
import math
import os
import random
import unicodedata

# --- Vocabulary -----------------------------------------------------------------------------

# colour key -> (masculine, feminine, masculine plural, feminine plural)
COLOURS = {
    "blanc": ("blanc", "blanche", "blancs", "blanches"),
    "noir": ("noir", "noire", "noirs", "noires"),
    "gris": ("gris", "grise", "gris", "grises"),
    "gris anthracite": ("gris anthracite",) * 4,
    "beige": ("beige", "beige", "beiges", "beiges"),
    "écru": ("écru", "écrue", "écrus", "écrues"),
    "bleu": ("bleu", "bleue", "bleus", "bleues"),
    "bleu canard": ("bleu canard",) * 4,
    "vert": ("vert", "verte", "verts", "vertes"),
    "vert sauge": ("vert sauge",) * 4,
    "rouge": ("rouge", "rouge", "rouges", "rouges"),
    "terracotta": ("terracotta",) * 4,
    "rose": ("rose", "rose", "roses", "roses"),
    "jaune moutarde": ("jaune moutarde",) * 4,
    "doré": ("doré", "dorée", "dorés", "dorées"),
    "naturel": ("naturel", "naturelle", "naturels", "naturelles"),
    "marron": ("marron",) * 4,
}
NEUTRALS = ["blanc", "noir", "gris", "beige", "naturel", "écru", "gris anthracite"]
BRIGHTS = ["bleu", "bleu canard", "vert", "vert sauge", "rouge", "terracotta", "rose", "jaune moutarde"]

MATERIAL_PHRASES = {
    "chêne": "en chêne massif huilé",
    "bois massif": "en bois massif",
    "noyer": "en noyer aux veines marquées",
    "pin": "en pin brossé",
    "hêtre": "en hêtre certifié FSC",
    "métal": "en métal thermolaqué",
    "acier": "en acier brossé",
    "laiton": "en laiton patiné",
    "aluminium": "en aluminium léger",
    "verre": "en verre soufflé",
    "céramique": "en céramique émaillée",
    "marbre": "en marbre veiné",
    "rotin": "en rotin tressé à la main",
    "osier": "en osier naturel",
    "bambou": "en bambou",
    "lin": "en lin lavé",
    "coton": "en coton bio",
    "velours": "en velours côtelé",
    "laine": "en laine tissée",
    "jute": "en jute tressée",
    "cuir": "en cuir pleine fleur",
    "tissu": "en tissu chiné",
    "terre cuite": "en terre cuite",
    "béton": "en béton ciré",
    "mousse": "en mousse haute résilience",
}

STYLES = ["moderne", "scandinave", "industriel", "bohème", "vintage", "classique", "minimaliste", "art déco",
          "contemporain", "rustique"]
# style -> (phrase for a masculine noun, for a feminine noun): paraphrases, not the style word
STYLE_PHRASES = {
    "moderne": ("aux lignes actuelles",) * 2,
    "scandinave": ("d'inspiration nordique",) * 2,
    "industriel": ("à l'esprit atelier",) * 2,
    "bohème": ("à l'allure bohème",) * 2,
    "vintage": ("au charme rétro",) * 2,
    "classique": ("intemporel", "intemporelle"),
    "minimaliste": ("épuré", "épurée"),
    "art déco": ("aux accents Art déco",) * 2,
    "contemporain": ("résolument actuel", "résolument actuelle"),
    "rustique": ("à l'esprit campagne",) * 2,
}
# style -> (masculine, feminine) adjective used in names ("Lampe Alba industrielle")
STYLE_ADJECTIVES = {
    "industriel": ("industriel", "industrielle"),
    "contemporain": ("contemporain", "contemporaine"),
}
ROOM_PHRASES = {
    "salon": "le salon",
    "chambre": "la chambre",
    "cuisine": "la cuisine",
    "salle de bain": "la salle de bain",
    "bureau": "le bureau",
    "entrée": "l'entrée",
    "extérieur": "la terrasse ou le jardin",
    "salle à manger": "la salle à manger",
    "chambre d'enfant": "la chambre d'enfant",
}

MODELS = """Alba Oslo Nora Sira Lumio Ondine Brera Solène Tika Fiesta Atlas Linea Milo Ivy Lena Basile Capri
Dune Elio Flora Gaïa Hugo Iris Jade Kala Louna Maya Nils Opale Pia Rio Sacha Talia Ugo Vera Wilma Yuma Zelda
Arles Biarritz Cassis Deauville Étretat Grasse Honfleur Lorient Menton Nîmes Orange Pornic Quimper Royan Sète
Toulon Uzès Vannes Ajaccio Bastia Cannes Dinard Évian Figeac Gordes Hyères Lourmarin Mougins Nérac Oléron
Porto Roma Sevilla Torino Verona Wien Bergen Malmö Aarhus Turku Tampere Odense Bruges Gand Namur Lucca Siena
Palma Cadix Faro Kyoto Nara Osaka Sapporo Agathe Blanche Céleste Diane Émile Félix Gaspard Hélène Inès Jules
Léon Marius Noé Oscar Paloma Rosa Simone Théo Victor Zoé Azur Brume Cèdre Dahlia Écume Figue Galet Houle
Jonc Lagune Mistral Nacre Olive Pampa Quartz Roseau Sable Tilleul Vanille Zinc Ambre Bruyère Corail Ébène""".split()

BRANDS = ["VIVR", "VIVR", "VIVR", "Maison Lumen", "Atelier Brun", "Nordika", "Terre & Lin", "Côté Sud",
          "Studio Opale", "Les Ateliers Réunis"]

# --- Categories and product types -----------------------------------------------------------

# (slug, name, parent slug)
CATEGORIES = [
    ("luminaires", "Luminaires", None),
    ("lampes-de-chevet", "Lampes de chevet", "luminaires"),
    ("lampes-a-poser", "Lampes à poser", "luminaires"),
    ("lampadaires", "Lampadaires", "luminaires"),
    ("suspensions", "Suspensions et lustres", "luminaires"),
    ("appliques", "Appliques murales", "luminaires"),
    ("guirlandes", "Guirlandes et cordons lumineux", "luminaires"),
    ("mobilier", "Mobilier", None),
    ("canapes", "Canapés", "mobilier"),
    ("fauteuils", "Fauteuils et poufs", "mobilier"),
    ("tables", "Tables", "mobilier"),
    ("chaises", "Chaises et tabourets", "mobilier"),
    ("lits", "Lits", "mobilier"),
    ("bureaux", "Bureaux", "mobilier"),
    ("decoration", "Décoration", None),
    ("miroirs", "Miroirs", "decoration"),
    ("vases", "Vases et cache-pots", "decoration"),
    ("bougies", "Bougies et parfums d'intérieur", "decoration"),
    ("cadres", "Cadres et œuvres d'art", "decoration"),
    ("horloges", "Horloges", "decoration"),
    ("plantes-artificielles", "Fleurs et plantes artificielles", "decoration"),
    ("textile", "Textile", None),
    ("coussins", "Coussins décoratifs", "textile"),
    ("plaids", "Plaids", "textile"),
    ("tapis", "Tapis", "textile"),
    ("rideaux", "Rideaux et voilages", "textile"),
    ("linge-de-lit", "Linge de lit", "textile"),
    ("linge-de-bain", "Linge de bain", "textile"),
    ("rangement", "Rangement", None),
    ("etageres", "Étagères et bibliothèques", "rangement"),
    ("paniers", "Paniers et boîtes", "rangement"),
    ("commodes", "Commodes", "rangement"),
    ("buffets", "Buffets et bahuts", "rangement"),
    ("portemanteaux", "Porte-manteaux", "rangement"),
    ("armoires", "Armoires et penderies", "rangement"),
]

WOODS = ["chêne", "bois massif", "noyer", "pin", "hêtre"]
METALS = ["métal", "acier", "laiton", "aluminium"]
FABRICS = ["lin", "coton", "velours", "laine", "tissu"]
NATURALS = ["rotin", "osier", "bambou", "jute"]


def T(key, name, gender, category, price, materials, rooms, paraphrases, colours=None, styles=None,
      sizes=None, weight=1.0):
    """A product type: name (singular), gender 'm'/'f', price band (euros), plausible materials and
    rooms, noun-phrase paraphrases (phrase, gender) for descriptions, optional size qualifiers."""
    return dict(key=key, name=name, gender=gender, category=category, price=price, materials=materials,
                rooms=rooms, paraphrases=paraphrases, colours=colours or NEUTRALS + BRIGHTS[:4],
                styles=styles or STYLES, sizes=sizes or [], weight=weight)


TYPES = [
    T("lampe-de-chevet", "Lampe de chevet", "f", "lampes-de-chevet", (25, 180), METALS + ["céramique", "verre", "bois massif", "rotin"],
      ["chambre", "chambre d'enfant"], [("luminaire de table de nuit", "m"), ("petite lampe pour lire au lit", "f"),
                                        ("lampe de nuit", "f"), ("éclairage d'appoint pour la chambre", "m")], weight=1.4),
    T("lampe-a-poser", "Lampe à poser", "f", "lampes-a-poser", (30, 260), METALS + ["céramique", "verre", "marbre", "rotin"],
      ["salon", "bureau", "chambre"], [("luminaire à poser", "m"), ("lampe d'ambiance", "f"), ("pied de lampe", "m")]),
    T("lampe-de-bureau", "Lampe de bureau", "f", "lampes-a-poser", (25, 150), METALS,
      ["bureau"], [("lampe de travail orientable", "f"), ("luminaire de bureau", "m"), ("liseuse articulée", "f")],
      styles=["industriel", "moderne", "scandinave", "vintage", "minimaliste"]),
    T("lampadaire", "Lampadaire", "m", "lampadaires", (60, 450), METALS + ["bois massif", "rotin", "bambou"],
      ["salon", "bureau"], [("lampe sur pied", "f"), ("luminaire sur pied", "m"), ("grand luminaire d'angle", "m")]),
    T("suspension", "Suspension", "f", "suspensions", (35, 380), METALS + ["verre", "rotin", "osier", "bambou", "lin"],
      ["salon", "salle à manger", "cuisine", "chambre"], [("luminaire suspendu", "m"), ("lampe à suspendre", "f"),
                                                         ("plafonnier suspendu", "m")], weight=1.2),
    T("lustre", "Lustre", "m", "suspensions", (120, 900), ["laiton", "verre", "métal"], ["salon", "salle à manger", "entrée"],
      [("luminaire de plafond à bras", "m"), ("suspension à pampilles", "f")], styles=["classique", "art déco", "vintage", "contemporain"]),
    T("applique-murale", "Applique murale", "f", "appliques", (25, 220), METALS + ["verre", "céramique", "rotin"],
      ["salon", "chambre", "entrée", "salle de bain"], [("luminaire mural", "m"), ("lampe murale", "f"),
                                                        ("éclairage fixé au mur", "m")]),
    T("guirlande-lumineuse", "Guirlande lumineuse", "f", "guirlandes", (12, 70), ["coton", "métal", "verre"],
      ["salon", "chambre", "extérieur", "chambre d'enfant"], [("cordon lumineux", "m"), ("guirlande de boules", "f"),
                                                               ("décoration lumineuse", "f")], styles=["bohème", "scandinave", "moderne"]),

    T("canape", "Canapé", "m", "canapes", (390, 2400), ["velours", "lin", "tissu", "cuir", "coton"], ["salon"],
      [("sofa", "m"), ("assise pour le salon", "f"), ("banquette moelleuse", "f")], sizes=["2 places", "3 places", "4 places"], weight=1.5),
    T("canape-angle", "Canapé d'angle", "m", "canapes", (790, 3200), ["velours", "tissu", "cuir", "lin"], ["salon"],
      [("sofa d'angle", "m"), ("grand canapé en L", "m"), ("assise d'angle", "f")]),
    T("canape-convertible", "Canapé convertible", "m", "canapes", (450, 1900), ["tissu", "velours", "coton"], ["salon", "bureau"],
      [("clic-clac", "m"), ("BZ", "m"), ("sofa qui se déplie en lit", "m"), ("couchage d'appoint", "m")]),
    T("fauteuil", "Fauteuil", "m", "fauteuils", (150, 1200), ["velours", "lin", "cuir", "rotin", "tissu", "bois massif"],
      ["salon", "chambre", "bureau"], [("siège confortable", "m"), ("fauteuil de lecture", "m"), ("assise enveloppante", "f")]),
    T("pouf", "Pouf", "m", "fauteuils", (40, 260), ["velours", "laine", "cuir", "jute", "coton"], ["salon", "chambre"],
      [("repose-pieds", "m"), ("petite assise d'appoint", "f")], styles=["bohème", "scandinave", "moderne", "vintage"]),
    T("table-basse", "Table basse", "f", "tables", (90, 950), WOODS + ["marbre", "verre", "métal", "rotin"], ["salon"],
      [("table de salon", "f"), ("petite table devant le canapé", "f"), ("plateau bas", "m")], sizes=["ronde", "rectangulaire"], weight=1.3),
    T("table-a-manger", "Table à manger", "f", "tables", (250, 2600), WOODS + ["marbre", "verre", "métal"], ["salle à manger", "cuisine"],
      [("table de repas", "f"), ("grande table familiale", "f"), ("table de salle à manger", "f")], sizes=["4 personnes", "6 personnes", "8 personnes", "extensible"]),
    T("table-d-appoint", "Table d'appoint", "f", "tables", (40, 320), WOODS + METALS + ["marbre"], ["salon", "chambre"],
      [("bout de canapé", "m"), ("guéridon", "m"), ("petite table", "f")]),
    T("console", "Console", "f", "tables", (120, 900), WOODS + METALS + ["marbre"], ["entrée", "salon"],
      [("meuble d'entrée étroit", "m"), ("table console", "f")]),
    T("chaise", "Chaise", "f", "chaises", (45, 420), WOODS + ["métal", "velours", "rotin", "cuir"], ["salle à manger", "cuisine", "bureau"],
      [("siège de table", "m"), ("assise pour la salle à manger", "f")], weight=1.4),
    T("tabouret-de-bar", "Tabouret de bar", "m", "chaises", (50, 280), METALS + WOODS, ["cuisine"],
      [("chaise haute", "f"), ("siège pour îlot de cuisine", "m")]),
    T("banc", "Banc", "m", "chaises", (90, 600), WOODS + ["métal", "velours"], ["entrée", "salle à manger", "chambre"],
      [("banquette", "f"), ("assise longue", "f")]),
    T("lit", "Lit", "m", "lits", (250, 2200), WOODS + ["métal", "velours", "lin", "rotin"], ["chambre"],
      [("cadre de lit", "m"), ("lit double", "m"), ("couchage", "m")], sizes=["140x190", "160x200", "180x200"], weight=1.2),
    T("tete-de-lit", "Tête de lit", "f", "lits", (90, 700), ["velours", "lin", "rotin", "bois massif", "cannage"] [:4], ["chambre"],
      [("tête de lit capitonnée", "f"), ("dosseret", "m")], sizes=["140 cm", "160 cm", "180 cm"]),
    T("bureau", "Bureau", "m", "bureaux", (120, 1100), WOODS + ["métal", "verre"], ["bureau", "chambre d'enfant"],
      [("table de travail", "f"), ("plan de travail pour le télétravail", "m"), ("secrétaire", "m")]),

    T("miroir", "Miroir", "m", "miroirs", (30, 650), ["métal", "laiton", "rotin", "bois massif", "verre", "bambou"],
      ["salon", "entrée", "salle de bain", "chambre"], [("glace murale", "f"), ("miroir mural", "m"), ("psyché", "f")],
      sizes=["rond", "rectangulaire", "ovale", "soleil"], weight=1.2),
    T("vase", "Vase", "m", "vases", (12, 190), ["céramique", "verre", "terre cuite", "métal"], ["salon", "salle à manger", "entrée"],
      [("soliflore", "m"), ("contenant pour fleurs séchées", "m"), ("objet décoratif", "m")], weight=1.2),
    T("cache-pot", "Cache-pot", "m", "vases", (10, 120), ["céramique", "terre cuite", "rotin", "jute", "métal"], ["salon", "extérieur", "cuisine"],
      [("pot de fleurs", "m"), ("jardinière d'intérieur", "f")]),
    T("bougie-parfumee", "Bougie parfumée", "f", "bougies", (9, 69), ["verre", "céramique"], ["salon", "chambre", "salle de bain"],
      [("senteur d'intérieur", "f"), ("bougie", "f"), ("parfum pour la maison", "m")], styles=["bohème", "classique", "moderne", "minimaliste"]),
    T("bougeoir", "Bougeoir", "m", "bougies", (10, 90), ["laiton", "verre", "céramique", "métal", "marbre"], ["salon", "salle à manger"],
      [("chandelier", "m"), ("porte-bougie", "m")]),
    T("cadre-photo", "Cadre photo", "m", "cadres", (8, 80), ["bois massif", "métal", "laiton", "verre"], ["salon", "chambre", "bureau"],
      [("porte-photo", "m"), ("encadrement", "m")]),
    T("affiche", "Affiche", "f", "cadres", (15, 120), ["papier"] [:0] + ["coton"], ["salon", "chambre", "bureau", "chambre d'enfant"],
      [("poster", "m"), ("reproduction d'art", "f"), ("décoration murale", "f")], sizes=["30x40", "50x70", "70x100"]),
    T("horloge-murale", "Horloge murale", "f", "horloges", (25, 250), ["métal", "bois massif", "verre", "laiton"], ["salon", "cuisine", "bureau"],
      [("pendule", "f"), ("horloge", "f")]),
    T("plante-artificielle", "Plante artificielle", "f", "plantes-artificielles", (15, 220), ["tissu", "céramique"], ["salon", "bureau", "salle de bain"],
      [("végétal factice", "m"), ("fausse plante verte", "f")], colours=["vert", "vert sauge"], styles=["bohème", "moderne", "scandinave"]),

    T("coussin", "Coussin", "m", "coussins", (12, 79), ["velours", "lin", "coton", "laine", "jute"], ["salon", "chambre"],
      [("coussin décoratif", "m"), ("housse garnie", "f"), ("accessoire pour le canapé", "m")], colours=NEUTRALS + BRIGHTS, sizes=["40x40", "45x45", "30x50"], weight=1.6),
    T("plaid", "Plaid", "m", "plaids", (25, 150), ["laine", "coton", "lin", "velours"], ["salon", "chambre"],
      [("couverture légère", "f"), ("jeté de canapé", "m")], colours=NEUTRALS + BRIGHTS, weight=1.2),
    T("tapis", "Tapis", "m", "tapis", (40, 1200), ["laine", "jute", "coton", "tissu"], ["salon", "chambre", "entrée", "salle à manger"],
      [("revêtement de sol", "m"), ("carpette", "f"), ("tapis de salon", "m")], colours=NEUTRALS + BRIGHTS,
      sizes=["120x170", "160x230", "200x290", "rond"], weight=1.4),
    T("rideau", "Rideau", "m", "rideaux", (19, 140), ["lin", "coton", "velours"], ["salon", "chambre"],
      [("voilage", "m"), ("tenture", "f"), ("habillage de fenêtre", "m")], colours=NEUTRALS + BRIGHTS, sizes=["140x260", "140x280"]),
    T("housse-de-couette", "Housse de couette", "f", "linge-de-lit", (35, 190), ["lin", "coton"], ["chambre", "chambre d'enfant"],
      [("linge de lit", "m"), ("parure", "f")], colours=NEUTRALS + BRIGHTS, sizes=["140x200", "240x220", "260x240"]),
    T("drap-housse", "Drap housse", "m", "linge-de-lit", (19, 89), ["lin", "coton"], ["chambre"],
      [("drap", "m"), ("linge de lit", "m")], colours=NEUTRALS + BRIGHTS[:4], sizes=["90x190", "140x190", "160x200"]),
    T("taie-d-oreiller", "Taie d'oreiller", "f", "linge-de-lit", (9, 39), ["lin", "coton"], ["chambre"],
      [("housse d'oreiller", "f")], colours=NEUTRALS + BRIGHTS[:4], sizes=["50x70", "65x65"]),
    T("serviette-de-bain", "Serviette de bain", "f", "linge-de-bain", (9, 49), ["coton", "lin"], ["salle de bain"],
      [("drap de douche", "m"), ("linge de toilette", "m")], colours=NEUTRALS + BRIGHTS),
    T("tapis-de-bain", "Tapis de bain", "m", "linge-de-bain", (12, 59), ["coton", "bambou"], ["salle de bain"],
      [("descente de bain", "f")], colours=NEUTRALS + BRIGHTS),

    T("etagere-murale", "Étagère murale", "f", "etageres", (25, 260), WOODS + METALS, ["salon", "cuisine", "bureau", "salle de bain"],
      [("tablette murale", "f"), ("rangement mural", "m")], weight=1.2),
    T("bibliotheque", "Bibliothèque", "f", "etageres", (120, 1300), WOODS + ["métal"], ["salon", "bureau"],
      [("meuble à livres", "m"), ("étagère haute", "f")]),
    T("panier", "Panier", "m", "paniers", (12, 90), NATURALS + ["coton"], ["salon", "salle de bain", "chambre", "entrée"],
      [("corbeille tressée", "f"), ("panière", "f"), ("rangement tressé", "m")], colours=["naturel", "beige", "noir", "blanc"]),
    T("boite-de-rangement", "Boîte de rangement", "f", "paniers", (8, 60), ["bois massif", "métal", "coton", "bambou"], ["bureau", "chambre", "salle de bain"],
      [("coffret", "m"), ("boîte", "f")]),
    T("commode", "Commode", "f", "commodes", (190, 1400), WOODS + ["rotin"], ["chambre", "entrée"],
      [("meuble à tiroirs", "m"), ("chiffonnier", "m")], sizes=["3 tiroirs", "4 tiroirs", "6 tiroirs"]),
    T("buffet", "Buffet", "m", "buffets", (290, 1900), WOODS + ["rotin", "métal"], ["salon", "salle à manger"],
      [("bahut", "m"), ("enfilade", "f"), ("meuble de rangement bas", "m")]),
    T("meuble-tv", "Meuble TV", "m", "buffets", (150, 1100), WOODS + ["métal", "rotin"], ["salon"],
      [("banc TV", "m"), ("meuble télé", "m")]),
    T("portemanteau", "Portemanteau", "m", "portemanteaux", (25, 240), WOODS + METALS, ["entrée", "chambre"],
      [("porte-manteau", "m"), ("vestiaire d'entrée", "m"), ("patère", "f")]),
    T("armoire", "Armoire", "f", "armoires", (290, 2200), WOODS + ["métal"], ["chambre"],
      [("penderie", "f"), ("garde-robe", "f"), ("dressing", "m")], sizes=["2 portes", "3 portes"]),
]
# Fix two entries whose material list was written as an expression above.
for _t in TYPES:
    if _t["key"] == "tete-de-lit":
        _t["materials"] = ["velours", "lin", "rotin", "bois massif"]
    if _t["key"] == "affiche":
        _t["materials"] = ["coton"]

BENEFITS = {
    "luminaires": ["Sa lumière douce crée une ambiance chaleureuse dès la tombée du jour.",
                   "Compatible avec les ampoules LED E27, ampoule non fournie.",
                   "L'interrupteur sur le câble permet d'allumer sans se lever.",
                   "Un éclairage tamisé, idéal pour les soirées au calme."],
    "mobilier": ["Une pièce robuste, conçue pour durer des années.",
                 "Livré monté ou en kit simple à assembler en quelques minutes.",
                 "Un meuble pensé pour le quotidien, facile à vivre.",
                 "Les finitions soignées révèlent le savoir-faire de nos artisans."],
    "decoration": ["La touche finale qui donne du caractère à votre intérieur.",
                   "Un objet à offrir comme à s'offrir.",
                   "Pièce réalisée à la main : chaque exemplaire est unique.",
                   "Se marie facilement avec vos autres objets décoratifs."],
    "textile": ["Doux au toucher, il gagne en souplesse à chaque lavage.",
                "Lavable en machine à 30 degrés.",
                "Tissage dense et fibres certifiées Oeko-Tex.",
                "Il apporte chaleur et confort au quotidien."],
    "rangement": ["Range tout sans encombrer, avec élégance.",
                  "Les tiroirs coulissent en douceur grâce à leurs glissières.",
                  "Un rangement malin pour gagner de la place.",
                  "Fixations murales fournies."],
}
# category (or top category) -> ((width), (height), (depth)) ranges in cm; absent dimension: None
DIMENSIONS = {
    "lampes-de-chevet": ((12, 30), (25, 55), (12, 30)), "lampes-a-poser": ((15, 45), (30, 75), (15, 45)),
    "lampadaires": ((25, 60), (140, 190), (25, 60)), "suspensions": ((20, 80), (20, 60), (20, 80)),
    "appliques": ((10, 40), (15, 45), (8, 25)), "guirlandes": ((300, 1000), None, None),
    "canapes": ((150, 320), (70, 95), (85, 180)), "fauteuils": ((50, 95), (40, 100), (50, 95)),
    "tables": ((40, 240), (40, 76), (40, 100)), "chaises": ((40, 160), (45, 105), (40, 55)),
    "lits": ((140, 190), (30, 130), (190, 210)), "bureaux": ((90, 160), (74, 78), (50, 80)),
    "miroirs": ((40, 120), (40, 180), (2, 5)), "vases": ((8, 30), (12, 60), (8, 30)),
    "bougies": ((7, 15), (8, 25), (7, 15)), "cadres": ((13, 100), (18, 140), (1, 4)),
    "horloges": ((25, 60), (25, 60), (3, 6)), "plantes-artificielles": ((15, 80), (30, 180), (15, 80)),
    "coussins": ((30, 60), (30, 60), None), "plaids": ((125, 180), (150, 230), None),
    "tapis": ((60, 300), (90, 400), None), "rideaux": ((135, 145), (240, 290), None),
    "linge-de-lit": ((50, 260), (70, 240), None), "linge-de-bain": ((50, 100), (90, 150), None),
    "etageres": ((40, 180), (20, 200), (15, 40)), "paniers": ((20, 50), (15, 45), (20, 45)),
    "commodes": ((70, 160), (70, 110), (40, 55)), "buffets": ((120, 220), (45, 90), (40, 50)),
    "portemanteaux": ((30, 120), (20, 180), (5, 45)), "armoires": ((80, 200), (180, 220), (50, 65)),
}

SEATS = ("canapes", "fauteuils", "chaises")

TAGS = ["tendance", "fait main", "éco-responsable", "cosy", "petit espace", "made in France", "best-seller",
        "nouveauté", "cadeau", "facile d'entretien"]

# Co-purchase rules: anchor type -> [(companion type, probability, quantity range)]
COMPANIONS = {
    "canape": [("coussin", .6, (2, 4)), ("plaid", .4, (1, 1)), ("tapis", .35, (1, 1)), ("table-basse", .3, (1, 1)), ("lampadaire", .15, (1, 1))],
    "canape-angle": [("coussin", .6, (2, 4)), ("tapis", .4, (1, 1)), ("table-basse", .35, (1, 1)), ("plaid", .3, (1, 1))],
    "canape-convertible": [("coussin", .5, (2, 3)), ("plaid", .4, (1, 1)), ("drap-housse", .2, (1, 1))],
    "fauteuil": [("coussin", .4, (1, 2)), ("plaid", .35, (1, 1)), ("lampadaire", .25, (1, 1)), ("pouf", .2, (1, 1))],
    "lit": [("housse-de-couette", .55, (1, 1)), ("taie-d-oreiller", .5, (2, 2)), ("drap-housse", .45, (1, 1)),
            ("lampe-de-chevet", .4, (1, 2)), ("tete-de-lit", .2, (1, 1))],
    "table-a-manger": [("chaise", .65, (4, 6)), ("suspension", .35, (1, 2)), ("bougeoir", .2, (1, 2)), ("vase", .15, (1, 1))],
    "bureau": [("lampe-de-bureau", .5, (1, 1)), ("chaise", .4, (1, 1)), ("etagere-murale", .25, (1, 2)), ("boite-de-rangement", .2, (1, 3))],
    "table-basse": [("tapis", .3, (1, 1)), ("vase", .25, (1, 1)), ("bougie-parfumee", .2, (1, 2))],
    "housse-de-couette": [("taie-d-oreiller", .6, (2, 2)), ("drap-housse", .5, (1, 1))],
    "serviette-de-bain": [("tapis-de-bain", .5, (1, 1)), ("panier", .25, (1, 1))],
    "miroir": [("console", .2, (1, 1)), ("applique-murale", .2, (1, 2))],
    "console": [("miroir", .45, (1, 1)), ("vase", .2, (1, 1))],
    "buffet": [("vase", .3, (1, 1)), ("bougeoir", .2, (1, 2)), ("lampe-a-poser", .2, (1, 1))],
    "bougie-parfumee": [("bougeoir", .2, (1, 1)), ("bougie-parfumee", .3, (1, 2))],
    "vase": [("plante-artificielle", .3, (1, 1))],
    "commode": [("miroir", .2, (1, 1)), ("lampe-a-poser", .2, (1, 1))],
    "lampe-de-chevet": [("lampe-de-chevet", .4, (1, 1))],
    "tapis": [("coussin", .3, (1, 2))],
    "rideau": [("rideau", .5, (1, 1))],
}

REVIEW_COMMENTS = {
    5: ["Parfait, conforme à la photo.", "Superbe qualité, je recommande.", "Magnifique dans notre salon !",
        "Livraison rapide et produit très bien fini."],
    4: ["Très bien, juste un peu plus petit que prévu.", "Joli produit, bon rapport qualité-prix.",
        "Belle finition, montage facile."],
    3: ["Correct sans plus.", "La couleur est un peu différente de la photo.", "Bien mais livraison longue."],
    2: ["Qualité décevante pour le prix.", "Finitions moyennes."],
    1: ["Arrivé abîmé.", "Ne correspond pas à la description."],
}

# --- Helpers --------------------------------------------------------------------------------


def slugify(text):
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("æ", "ae"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    out, dash = [], False
    for c in text:
        if c.isascii() and c.isalnum():
            out.append(c)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out).strip("-")


def agree(colour, gender):
    forms = COLOURS[colour]
    return forms[0] if gender == "m" else forms[1]


def cap(text):
    return text[:1].upper() + text[1:]


def demonstrative(phrase, gender):
    if gender == "f":
        return "Cette " + phrase
    return ("Cet " if phrase[:1].lower() in "aeiouéèêh" else "Ce ") + phrase


def price_in(rng, lo, hi):
    raw = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    return float(int(raw)) + (0.99 if raw >= 15 and rng.random() < 0.7 else 0.0) if raw >= 15 else round(raw, 2)


EPOCH = datetime.date(2024, 1, 1)  # day 0 of every date the generator writes


@functools.lru_cache(maxsize=None)
def iso_date(day):
    return (EPOCH + datetime.timedelta(days=day)).isoformat()


def iso(day_offset, seconds):
    # day 0 = 2024-01-01; no datetime dependency on locale or timezone. The date of a day is
    # computed once (a million timestamps for the bench's catalog).
    day, rest = divmod(day_offset * 86400 + seconds, 86400)
    return f"{iso_date(day)}T{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}Z"

# --- Generation -----------------------------------------------------------------------------


def make_product(rng, n, ptype, used_slugs):
    g = ptype["gender"]
    model = rng.choice(MODELS)
    materials = [rng.choice(ptype["materials"])]
    if rng.random() < 0.25 and len(ptype["materials"]) > 1:
        second = rng.choice(ptype["materials"])
        if second != materials[0]:
            materials.append(second)
    colours = [rng.choice(ptype["colours"])]
    if rng.random() < 0.2:
        second = rng.choice(ptype["colours"])
        if second != colours[0]:
            colours.append(second)
    style = rng.choice(ptype["styles"])
    rooms = [rng.choice(ptype["rooms"])]
    if rng.random() < 0.3 and len(ptype["rooms"]) > 1:
        second = rng.choice(ptype["rooms"])
        if second != rooms[0]:
            rooms.append(second)
    size = rng.choice(ptype["sizes"]) if ptype["sizes"] and rng.random() < 0.6 else None

    name = ptype["name"]
    if size:
        name += " " + size
    name += " " + model
    shape = rng.random()
    if shape < 0.55:
        name += " en " + materials[0]
    elif shape < 0.8:
        name += " " + agree(colours[0], g)
    elif shape < 0.9:
        name += " " + STYLE_ADJECTIVES.get(style, (style, style))[0 if g == "m" else 1]

    slug = slugify(name)
    if slug in used_slugs:
        slug = f"{slug}-{n}"
    used_slugs.add(slug)

    lo, hi = ptype["price"]
    price = price_in(rng, lo, hi)
    compare = round(price * rng.uniform(1.15, 1.45)) + 0.0 if rng.random() < 0.18 else None
    stock = 0 if rng.random() < 0.12 else rng.randint(1, 60)

    phrase, pg = rng.choice(ptype["paraphrases"])
    top = next(parent for slug_, _, parent in CATEGORIES if slug_ == ptype["category"]) or ptype["category"]
    sentences = [
        f"{demonstrative(phrase, pg)} {STYLE_PHRASES[style][0 if pg == 'm' else 1]} trouve naturellement sa place dans {ROOM_PHRASES[rooms[0]]}.",
        f"Réalisé{'e' if pg == 'f' else ''} {MATERIAL_PHRASES.get(materials[0], 'en ' + materials[0])}, "
        f"dans une teinte {agree(colours[0], 'f')} facile à associer.",
        rng.choice(BENEFITS[top] + (["Son assise généreuse invite à la détente."] * 2 if ptype["category"] in SEATS else [])),
    ]
    dims = {}
    for key, span in zip(("widthCm", "heightCm", "depthCm"), DIMENSIONS[ptype["category"]]):
        if span:
            dims[key] = rng.randint(*span)
    if size and "x" in size and size.replace("x", "").isdigit():
        # A size in the name ("160x200", "140x260") is the product's real size.
        a, b = (int(v) for v in size.split("x"))
        dims["widthCm"] = a
        dims["depthCm" if "depthCm" in dims and ptype["category"] == "lits" else "heightCm"] = b
    if rng.random() < 0.5:
        sentences.append("Dimensions : " + " x ".join(str(v) for v in dims.values()) + " cm.")
    if rng.random() < 0.3:
        description = "<p>" + " ".join(sentences[:2]) + "</p><p><strong>" + sentences[2] + "</strong></p>"
        if len(sentences) > 3:
            description += "<p>" + sentences[3] + "</p>"
    else:
        description = " ".join(sentences)

    created_day = rng.randint(0, 985)  # 2024-01-01 .. 2026-09-12; updates within 60 days stay in the past
    tags = []
    for _ in range(rng.randint(0, 3)):
        tag = rng.choice(TAGS)
        if tag not in tags:
            tags.append(tag)
    product = {
        "id": f"prod_{n:07d}",
        "slug": slug,
        "name": name,
        "description": description,
        "price": price,
        "comparePrice": compare,
        "currency": "EUR",
        "stock": stock,
        "featured": rng.random() < 0.05,
        "categoryId": "cat_" + ptype["category"],
        "images": [f"https://cdn.vivr.fr/products/{slug}-1.jpg", f"https://cdn.vivr.fr/products/{slug}-2.jpg"],
        "brand": rng.choice(BRANDS),
        "tags": tags,
        "attributes": {"color": colours, "material": materials, "style": [style], "room": rooms, "dimensions": dims},
        "createdAt": iso(created_day, rng.randint(0, 86399)),
        "updatedAt": iso(created_day + rng.randint(0, 60), rng.randint(0, 86399)),
        "productType": ptype["key"],
    }
    return product


# Products shipped by freight (Geodis) and often made to order: a lead time before shipping.
FREIGHT = {"canape", "canape-angle", "canape-convertible", "fauteuil", "table-a-manger", "lit",
           "tete-de-lit", "bureau", "bibliotheque", "commode", "buffet", "meuble-tv", "armoire"}
# Types a customer may order made to measure or personalised (L221-28 3°: no withdrawal right).
PERSONALISABLE = {"cadre-photo", "affiche", "rideau", "tapis", "coussin"}
FIRST_NAMES = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Louise", "Alice",
               "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Thomas", "Nathan", "Paul", "Léo"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
              "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
              "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert"]

# --- The shop's calendar ----------------------------------------------------------------------

# The demo's "now": the last day orders are drawn on (day 1040 = 2026-11-06).
LAST_ORDER_DAY = 1040
# Two years of orders up to "now" (day 310 = 2024-11-06), so that a year compares with the one
# before, Black Friday and both soldes come twice, and a forecast has two seasons to learn from.
FIRST_ORDER_DAY = LAST_ORDER_DAY - 730
ORDER_DAYS = list(range(FIRST_ORDER_DAY, LAST_ORDER_DAY + 1))
# The storefront keeps carts for six months: carts.ndjson covers the span's last 180 days.
CART_DAYS = 180

# Demand at the end of the two years relative to the start: a young shop growing ~48 % a year.
GROWTH = 2.2
# Home decor online: the weekend is spent looking, Sunday evening and Monday buying; Saturday
# is for the shops in town. Monday .. Sunday.
WEEKDAY = (1.15, 1.0, 1.0, 0.95, 0.9, 0.8, 1.2)
# The soldes' four weeks: a rush on the first, then what is left.
SOLDES_WEEKS = (1.9, 1.5, 1.3, 1.2)
# During the soldes and Black Friday about half of an order's lines are marked down.
SALE_LINE_SHARE = 0.5


def date_of(day):
    return EPOCH + datetime.timedelta(days=day)


def day_of(date):
    return (date - EPOCH).days


def stamp_of(text):
    """Seconds since day 0 of an `iso` timestamp ("2026-01-07T10:00:00Z")."""
    day = day_of(datetime.date.fromisoformat(text[:10]))
    return day * 86400 + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])


def wednesdays(year, month):
    first = datetime.date(year, month, 1)
    d = first + datetime.timedelta(days=(2 - first.weekday()) % 7)
    out = []
    while d.month == month:
        out.append(d)
        d += datetime.timedelta(days=7)
    return out


def soldes_windows(year):
    """The year's two national soldes as (first day, last day) day numbers, four weeks each.

    Winter sales open on the second Wednesday of January, moved to the first when the second
    falls after the 12th (2026: 7 January); summer sales on the last Wednesday of June, moved to
    the one before when the last falls after the 28th. Online shops follow the national dates."""
    jan = wednesdays(year, 1)
    winter = jan[1] if jan[1].day <= 12 else jan[0]
    jun = wednesdays(year, 6)
    summer = jun[-1] if jun[-1].day <= 28 else jun[-2]
    return [(day_of(d), day_of(d) + 27) for d in (winter, summer)]


def black_friday(year):
    """Day number of Black Friday: the day after the fourth Thursday of November."""
    first = datetime.date(year, 11, 1)
    thursday = first + datetime.timedelta(days=(3 - first.weekday()) % 7 + 21)
    return day_of(thursday) + 1


def soldes_week(day):
    """0 to 3 in the soldes' first to fourth week, None outside the soldes."""
    for start, end in soldes_windows(date_of(day).year):
        if start <= day <= end:
            return (day - start) // 7
    return None


def soldes_boost(day):
    week = soldes_week(day)
    return 1.0 if week is None else SOLDES_WEEKS[week]


def black_friday_boost(day):
    offset = day - black_friday(date_of(day).year)
    if offset == 0:
        return 3.0
    if 1 <= offset <= 3:  # the weekend and Cyber Monday
        return 2.0
    if -7 <= offset <= -1:  # the week before, when the early deals and the newsletters start
        return 1.2
    return 1.0


def on_sale(day):
    """Whether lines are marked down on that day: the soldes, Black Friday to Cyber Monday."""
    return soldes_week(day) is not None or 0 <= day - black_friday(date_of(day).year) <= 3


def season(day):
    """Christmas presents and decorating before the holidays, the shop asleep on the 24th-26th
    and in August, when France is on holiday."""
    d = date_of(day)
    if d.month == 12:
        return 1.4 if d.day <= 22 else 0.5 if 24 <= d.day <= 26 else 1.0
    return 0.75 if d.month == 8 else 1.0


def demand(day):
    """Relative order intensity of a day: growth x weekday x soldes x Black Friday x season."""
    growth = GROWTH ** ((day - FIRST_ORDER_DAY) / (LAST_ORDER_DAY - FIRST_ORDER_DAY))
    return (growth * WEEKDAY[date_of(day).weekday()] * soldes_boost(day) * black_friday_boost(day)
            * season(day))


def sale_price(rng, price):
    """A line's price on a sale day: half the lines 20 to 40 % off, rounded to the cent."""
    if rng.random() < SALE_LINE_SHARE:
        return round(price * (100 - 5 * rng.randint(4, 8)) / 100, 2)
    return price


# --- What sells, and when -------------------------------------------------------------------

# Appeal: within a type, a few best-sellers and a long tail (lognormal), so that top products
# mean something and a best-seller's stock-out shows in its sales.
APPEAL_SIGMA = 1.0
ANCHOR_SHARE = 0.7  # an order starts from an anchor type (sofa, bed, table...) 70 % of the time
LAUNCHES = 8
LAUNCH_DAYS = 45
LAUNCH_BOOST = 4
STOCK_OUTS = 8


def pick(rng, pool, cum):
    """One of pool, in proportion to the weights whose running sums are cum."""
    return pool[bisect.bisect(cum, rng.random() * cum[-1], 0, len(pool) - 1)]


class Assortment:
    """The products orders and carts draw from: their appeal, and the days each cannot be sold.

    Launches: a few anchor products created inside the order span sell from the day after
    their createdAt, and ~4x more in their first 45 days. Stock-outs: a few best-sellers are
    out of stock for 20 to 40 days then restocked, and every product whose stock is 0 in the
    catalog has been out for the last 10 to 40 days.
    """

    def __init__(self, rng, meta, created, stocks, by_type):
        self.meta = meta
        self.appeal = [rng.lognormvariate(0.0, APPEAL_SIGMA) for _ in meta]
        self.anchors = [i for i, m in enumerate(meta) if m[1] in COMPANIONS]
        self.anchor_cum = list(itertools.accumulate(self.appeal[i] for i in self.anchors))
        self.everything = list(range(len(meta)))
        self.all_cum = list(itertools.accumulate(self.appeal))
        self.pools = {t["key"]: (by_type[t["key"]], list(itertools.accumulate(self.appeal[i] for i in by_type[t["key"]])))
                      for t in TYPES if by_type[t["key"]]}
        self.blocked = {}  # product index -> [(first day, last day)] it cannot be sold
        self.boosts = {}  # day -> [(product index, extra probability of being the anchor)]
        self.launches = self._launches(created, stocks)
        self.stock_outs = self._stock_outs(rng, stocks)

    def anchor_probability(self, i):
        """Probability that one anchor draw (outside launches) gives product i."""
        p = (1 - ANCHOR_SHARE) * self.appeal[i] / self.all_cum[-1]
        if self.meta[i][1] in COMPANIONS:
            p += ANCHOR_SHARE * self.appeal[i] / self.anchor_cum[-1]
        return p

    def _launches(self, created, stocks):
        """The launched products, chosen without a draw: the anchor products in stock created
        between day 400 and 1000, in createdAt order, cut into LAUNCHES slices; the most
        appealing of each slice (a launch is a product the shop pushes). [(index, launch day)]"""
        candidates = sorted((created[i], i) for i in self.anchors if 400 <= created[i] <= 1000 and stocks[i] > 0)
        out = []
        for k in range(min(LAUNCHES, len(candidates))):
            part = candidates[k * len(candidates) // LAUNCHES:(k + 1) * len(candidates) // LAUNCHES]
            if not part:
                continue
            _, i = max(part, key=lambda c: (self.appeal[c[1]], -c[1]))
            launch = created[i] + 1  # the first whole day it is on the site
            self.blocked.setdefault(i, []).append((0, launch - 1))
            extra = (LAUNCH_BOOST - 1) * self.anchor_probability(i)
            for day in range(launch, launch + LAUNCH_DAYS):
                self.boosts.setdefault(day, []).append((i, extra))
            out.append((i, launch))
        return out

    def expected_units(self):
        """Units of each product per order, in expectation (anchor draws and companion rules,
        styles ignored): what "popular" means for choosing the stock-outs."""
        units = [self.anchor_probability(i) for i in self.everything]
        anchor_type = {}  # type -> probability that an order's anchor is of that type
        for i in self.everything:
            anchor_type[self.meta[i][1]] = anchor_type.get(self.meta[i][1], 0.0) + units[i]
        for kind, rules in COMPANIONS.items():
            for companion, prob, (qlo, qhi) in rules:
                if companion not in self.pools:
                    continue
                pool, cum = self.pools[companion]
                for i in pool:
                    units[i] += anchor_type.get(kind, 0.0) * prob * (qlo + qhi) / 2 * self.appeal[i] / cum[-1]
        return units

    def _stock_outs(self, rng, stocks):
        """Best-sellers out of stock for a while, then restocked; and the catalog's products at
        stock 0 out since 10 to 40 days before "now". [(index, first day, last day)]"""
        launched = [i for i, _ in self.launches]
        units = self.expected_units()
        popular = sorted((i for i in self.everything if stocks[i] > 0 and i not in launched),
                         key=lambda i: (-units[i], i))[:STOCK_OUTS]
        out = []
        for i in popular:
            length = rng.randint(20, 40)
            start = rng.randint(FIRST_ORDER_DAY + 30, LAST_ORDER_DAY - 45 - length)
            self.blocked.setdefault(i, []).append((start, start + length - 1))
            out.append((i, start, start + length - 1))
        for i in self.everything:
            if stocks[i] == 0:
                self.blocked.setdefault(i, []).append((LAST_ORDER_DAY - rng.randint(10, 40) + 1, LAST_ORDER_DAY))
        return out

    def available(self, i, day):
        return all(not first <= day <= last for first, last in self.blocked.get(i, ()))

    def draw_anchor(self, rng, day):
        """The first product of a basket: a launch in its first weeks (boosted), else an anchor
        type or any product, by appeal; drawn again while it cannot be sold that day."""
        for _ in range(10_000):
            i = self._anchor_like(rng, day)
            if self.available(i, day):
                return i
        raise RuntimeError(f"no product can be sold on {date_of(day)}")

    def _anchor_like(self, rng, day):
        boosts = self.boosts.get(day)
        if boosts:
            u = rng.random()
            for i, extra in boosts:
                if u < extra:
                    return i
                u -= extra
        if rng.random() < ANCHOR_SHARE:
            return pick(rng, self.anchors, self.anchor_cum)
        return pick(rng, self.everything, self.all_cum)

    def draw_companion(self, rng, kind, style, day):
        """A product of type kind to go with an anchor of that style: eight draws by appeal,
        the first of the anchor's style 70 % of the time; None when none of them can be sold
        that day (the line is dropped)."""
        pool, cum = self.pools[kind]
        drawn = [pick(rng, pool, cum) for _ in range(min(8, len(pool)))]
        drawn = [i for i in drawn if self.available(i, day)]
        if not drawn:
            return None
        same_style = [i for i in drawn if self.meta[i][2] == style]
        return same_style[0] if same_style and rng.random() < 0.7 else drawn[0]


# --- Orders, users, wishlists, carts ----------------------------------------------------------

# Customers: an order is a new customer's first 55 % of the time; otherwise a returning customer,
# most often one acquired recently (exponential, mean 90 days), sometimes anyone.
NEW_CUSTOMER = 0.55
RECENT_SHARE = 0.7
RECENT_DAYS = 90
# Accounts that never ordered, as a share of the customers.
NEVER_ORDERED = 0.15
ABANDONED_PER_CONVERTED = 2.3
GUEST_ABANDONED = 0.5  # with every converted cart signed in, ~35 % of all carts are guests'


def pick_recent(rng, stamps, now, hi=None):
    """Index into stamps[:hi] (sorted, all <= now) of someone recent: an exponential age, or
    anyone."""
    hi = len(stamps) if hi is None else hi
    if rng.random() < RECENT_SHARE:
        k = bisect.bisect_right(stamps, now - rng.expovariate(1 / (RECENT_DAYS * 86400)), 0, hi) - 1
        if k >= 0:
            return k
    return rng.randrange(hi)


def lifecycle_fields(life, product):
    """personalised and leadTimeDays of a product, drawn from the lifecycle stream."""
    kind = product["productType"]
    personalised = kind in PERSONALISABLE and life.random() < 0.08
    fields = {"personalised": personalised}
    if kind in FREIGHT:
        fields["leadTimeDays"] = life.randint(14, 42) if life.random() < 0.3 else life.randint(2, 7)
    elif personalised:
        fields["leadTimeDays"] = life.randint(5, 12)
    return fields


def order_lifecycle(life, order, day, kinds, address=None):
    """An order's status made consistent with its age, and its lifecycle timestamps.

    Cancelled and pending orders stay as drawn (a pending order is a payment never completed),
    so the co-purchase signals, which leave cancelled orders out, do not move. Any other order
    follows its timeline (paid, prepared, shipped, delivered) up to the demo's "now".
    address: the returning customer's (country, postal code), else one is drawn. Returns it.
    """
    created = order["createdAt"]
    base = day * 86400 + int(created[11:13]) * 3600 + int(created[14:16]) * 60 + int(created[17:19])
    now = (LAST_ORDER_DAY + 1) * 86400
    at = lambda seconds: iso(0, seconds)
    country = "FR"
    if address:
        country, order["shippingPostalCode"] = address
    else:
        draw = life.random()
        if draw < 0.04:
            country, order["shippingPostalCode"] = "BE", f"{life.randint(1000, 9990)}"
        elif draw < 0.06:
            country, order["shippingPostalCode"] = "CH", f"{life.randint(1000, 9658)}"
        elif draw < 0.07:
            country, order["shippingPostalCode"] = "LU", f"{life.randint(1009, 9999)}"
        elif draw < 0.09:
            order["shippingPostalCode"] = f"97{life.randint(1, 4)}{life.randint(0, 99):02d}"
    order["shippingCountry"] = country
    far = country != "FR" or order["shippingPostalCode"][:2] in ("20", "97")
    freight = any(kind in FREIGHT for kind in kinds)
    carrier = "Geodis" if freight else ("Chronopost" if life.random() < 0.2 and not far else "Colissimo")
    paid = base + life.randint(30, 1800)
    status = order["status"]
    if status == "PENDING":
        updated = base + life.randint(0, 600)
    elif status == "CANCELLED":
        if life.random() < 0.6:
            order["paidAt"] = at(paid)
        cancelled = paid + life.randint(600, 2 * 86400)
        order["cancelledAt"] = at(cancelled)
        updated = cancelled
    else:
        order["paidAt"] = at(paid)
        prepared = paid + life.randint(6 * 3600, 3 * 86400)
        lead = life.randint(5, 20) if freight and life.random() < 0.3 else life.randint(0, 2)
        shipped = prepared + lead * 86400 + life.randint(3600, 12 * 3600)
        transit = life.randint(5, 9) if carrier == "Geodis" else 1 if carrier == "Chronopost" else life.randint(2, 4)
        transit += life.randint(2, 8) if far else 0
        delivered = shipped + transit * 86400 + life.randint(0, 8 * 3600)
        if delivered <= now:
            status, updated = "DELIVERED", delivered
        elif shipped <= now:
            status, updated = "SHIPPED", shipped
        elif prepared <= now:
            status, updated = "PROCESSING", prepared
        else:
            status, updated = "PAID", paid
        if status in ("SHIPPED", "DELIVERED"):
            order["carrier"] = carrier
            if carrier == "Colissimo":
                order["trackingNumber"] = "6A" + "".join(str(life.randint(0, 9)) for _ in range(11))
            elif carrier == "Chronopost":
                order["trackingNumber"] = "XY" + "".join(str(life.randint(0, 9)) for _ in range(9)) + "FR"
            else:
                order["trackingNumber"] = "".join(str(life.randint(0, 9)) for _ in range(10))
            order["shippedAt"] = at(shipped)
        if status == "DELIVERED":
            order["deliveredAt"] = at(delivered)
    order["status"] = status
    order["updatedAt"] = at(min(max(updated, base), now))
    return country, order["shippingPostalCode"]


def write_orders(path, rng, life, shop, n_orders, demand_cum, sale_days):
    """Orders in createdAt order (ids follow time). Returns the customers' first-order stamps
    (user n is customers[n - 1]) and the orders carts come from: [(id, user, stamp, items)]."""
    # Every order's moment first, from the calendar's intensity, then sorted: the day is known
    # before the basket, which depends on what can be sold that day.
    days = rng.choices(ORDER_DAYS, cum_weights=demand_cum, k=n_orders)
    stamps = sorted(day * 86400 + rng.randint(0, 86399) for day in days)
    statuses = ["DELIVERED"] * 14 + ["SHIPPED"] * 2 + ["PAID", "PROCESSING", "PENDING", "CANCELLED"]
    meta = shop.meta
    customers, addresses = [], []  # per user - 1: first order's stamp, (country, postal code)
    carted = []
    cart_from = LAST_ORDER_DAY - CART_DAYS + 1
    with open(path, "w", encoding="utf-8") as f:
        for o, stamp in enumerate(stamps, 1):
            day = stamp // 86400
            if not customers or rng.random() < NEW_CUSTOMER:
                customers.append(stamp)
                user, address = len(customers), None
            else:
                user = pick_recent(rng, customers, stamp) + 1
                # Most come back to the same address; some send a present elsewhere.
                address = addresses[user - 1] if rng.random() < 0.9 else None
            anchor = shop.draw_anchor(rng, day)
            items = [(anchor, 1)]
            for companion, prob, (qlo, qhi) in COMPANIONS.get(meta[anchor][1], []):
                if rng.random() < prob and companion in shop.pools:
                    chosen = shop.draw_companion(rng, companion, meta[anchor][2], day)
                    if chosen is not None and all(chosen != i for i, _ in items):
                        items.append((chosen, rng.randint(qlo, qhi)))
            sale = sale_days[day]
            lines = [{"productId": meta[i][0], "quantity": q,
                      "price": sale_price(rng, meta[i][3]) if sale else meta[i][3]} for i, q in items]
            order = {
                "id": f"ord_{o:07d}",
                "orderNumber": "ORD-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8)),
                "userId": f"user_{user:06d}",
                "email": f"client{user}@example.fr",
                "status": rng.choice(statuses),
                "total": round(sum(line["price"] * line["quantity"] for line in lines), 2),
                "createdAt": iso(0, stamp),
                "updatedAt": iso(0, stamp),  # set by the lifecycle
                "shippingPostalCode": address[1] if address else f"{rng.randint(1, 95):02d}{rng.randint(0, 999):03d}",
                "items": lines,
            }
            drawn = order_lifecycle(life, order, day, [meta[i][1] for i, _ in items], address)
            if user > len(addresses):
                addresses.append(drawn)
            if day >= cart_from and order["status"] != "PENDING":
                carted.append((order["id"], user, stamp, lines))
            f.write(json.dumps(order, ensure_ascii=False) + "\n")
    return customers, carted


def write_users(path, life, customers, first_review, n_users, demand_cum):
    """Every customer (ids in order of first order) and the accounts that never ordered (after
    them). An account exists before its first order and its first review. Returns the accounts'
    creation stamps, user n at index n - 1."""
    created = []
    with open(path, "w", encoding="utf-8") as f:
        for user in range(1, n_users + 1):
            if user <= len(customers):
                first = customers[user - 1]
                # Most sign up at checkout; the others had an account already.
                if life.random() < 0.6:
                    at = first - life.randint(300, 3600)
                else:
                    at = first - life.randint(1, 300) * 86400 - life.randint(0, 86399)
            else:
                at = life.choices(ORDER_DAYS, cum_weights=demand_cum)[0] * 86400 + life.randint(0, 86399)
            review = first_review.get(user)
            if review is not None and review < at:
                at = review - life.randint(3600, 30 * 86400)
            at = max(at, 0)
            record = {"id": f"user_{user:06d}", "email": f"client{user}@example.fr"}
            if life.random() < 0.85:
                record["name"] = f"{life.choice(FIRST_NAMES)} {life.choice(LAST_NAMES)}"
            record["createdAt"] = iso(0, at)
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            created.append(at)
    return created


def write_wishlists(path, rng, shop, products, created, signups):
    """Wishlist entries by appeal, each after its user's account and the product's creation."""
    end = (LAST_ORDER_DAY + 1) * 86400 - 1
    with open(path, "w", encoding="utf-8") as f:
        seen = set()
        for _ in range(min(products // 2, 50_000)):
            user, i = rng.randint(1, len(signups)), pick(rng, shop.everything, shop.all_cum)
            pid = shop.meta[i][0]
            if (user, pid) in seen:
                continue
            seen.add((user, pid))
            first = max(600, created[i] + 1, signups[user - 1] // 86400)
            at = max(min(first, LAST_ORDER_DAY) * 86400 + rng.randint(0, 86399), signups[user - 1] + 60)
            f.write(json.dumps({"userId": f"user_{user:06d}", "productId": pid,
                                "createdAt": iso(0, min(at, end))}) + "\n")


def write_carts(path, crng, shop, carted, signups, demand_cum, sale_days):
    """The last CART_DAYS days' carts: the one each order (not pending) came from, and about
    2.3 times as many abandoned ones on the same daily shape, half of them guests'. Drawn from
    their own stream, so that carts never change orders. Ids follow createdAt."""
    end = (LAST_ORDER_DAY + 1) * 86400 - 1
    meta = shop.meta
    carts = []  # (createdAt stamp, generation rank, record without its id)
    for order_id, user, stamp, lines in carted:
        carts.append((stamp - crng.randint(300, 3 * 3600), len(carts),
                      {"userId": f"user_{user:06d}", "items": lines, "updatedAt": iso(0, stamp), "orderId": order_id}))
    first = len(ORDER_DAYS) - CART_DAYS
    window, window_cum = ORDER_DAYS[first:], [c - demand_cum[first - 1] for c in demand_cum[first:]]
    by_signup = sorted((at, user) for user, at in enumerate(signups, 1))
    signup_stamps = [at for at, _ in by_signup]
    for day in crng.choices(window, cum_weights=window_cum, k=round(ABANDONED_PER_CONVERTED * len(carted))):
        at = day * 86400 + crng.randint(0, 86399)
        record = {}
        if crng.random() >= GUEST_ABANDONED:
            k = bisect.bisect_right(signup_stamps, at)
            if k:
                record["userId"] = f"user_{by_signup[pick_recent(crng, signup_stamps, at, k)][1]:06d}"
        chosen = []
        for _ in range(crng.choice((1, 1, 1, 1, 1, 2, 2, 2, 3, 3))):
            i = shop.draw_anchor(crng, day)
            if i not in chosen:
                chosen.append(i)
        record["items"] = [{"productId": meta[i][0], "quantity": 2 if crng.random() < 0.1 else 1,
                            "price": sale_price(crng, meta[i][3]) if sale_days[day] else meta[i][3]} for i in chosen]
        # Left within the day: a few minutes of browsing, sometimes coming back hours later.
        record["updatedAt"] = iso(0, min(at + min(int(crng.expovariate(1 / 1800)), 86399), end))
        carts.append((at, len(carts), record))
    carts.sort(key=lambda c: (c[0], c[1]))
    with open(path, "w", encoding="utf-8") as f:
        for n, (at, _, record) in enumerate(carts, 1):
            cart = {"id": f"cart_{n:07d}"}
            if "userId" in record:
                cart["userId"] = record["userId"]
            cart["items"] = record["items"]
            cart["createdAt"] = iso(0, at)
            cart["updatedAt"] = record["updatedAt"]
            if "orderId" in record:
                cart["orderId"] = record["orderId"]
            f.write(json.dumps(cart, ensure_ascii=False) + "\n")


def generate(products, seed, out, orders=None):
    rng = random.Random(seed)
    # Fields added to the contract later draw from their own stream, so that the main one (and
    # with it every product, review and the eval's baseline) stays the same.
    life = random.Random(seed * 1_000_003 + 7)
    # Carts, the newest file, have a third stream: adding or changing them never moves an order.
    crng = random.Random(seed * 1_000_003 + 11)
    # Purchase costs (margins), a fourth stream for the same reason.
    cost_rng = random.Random(seed * 1_000_003 + 13)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "categories.ndjson"), "w", encoding="utf-8") as f:
        for slug, name, parent in CATEGORIES:
            f.write(json.dumps({"id": "cat_" + slug, "slug": slug, "name": name,
                                "parentId": "cat_" + parent if parent else None}, ensure_ascii=False) + "\n")

    weights = [t["weight"] for t in TYPES]
    by_type = {t["key"]: [] for t in TYPES}
    meta = []  # (id, type key, style, price, quality) for reviews and orders
    created, stocks = [], []  # per product: createdAt day, stock
    used_slugs = set()
    with open(os.path.join(out, "products.ndjson"), "w", encoding="utf-8") as f:
        for n in range(1, products + 1):
            ptype = TYPES[n - 1] if n <= len(TYPES) else rng.choices(TYPES, weights)[0]
            p = make_product(rng, n, ptype, used_slugs)
            p.update(lifecycle_fields(life, p))
            # Most products carry their unit purchase cost (excl. VAT), 35-60 % of the price.
            if cost_rng.random() < 0.85:
                p["cost"] = round(p["price"] * cost_rng.uniform(0.35, 0.6), 2)
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
            by_type[ptype["key"]].append(len(meta))
            meta.append((p["id"], ptype["key"], p["attributes"]["style"][0], p["price"], rng.gauss(4.1, 0.5)))
            created.append(stamp_of(p["createdAt"]) // 86400)
            stocks.append(p["stock"])

    reviewers = max(50, products // 3)  # reviews name users 1..reviewers
    first_review = {}  # user number -> stamp of their first review
    review_n = 0
    with open(os.path.join(out, "reviews.ndjson"), "w", encoding="utf-8") as f:
        for pid, _, _, _, quality in meta:
            if rng.random() >= 0.35:
                continue
            for _ in range(rng.randint(1, 6)):
                rating = max(1, min(5, round(rng.gauss(quality, 0.8))))
                review_n += 1
                review = {"id": f"rev_{review_n:07d}", "productId": pid, "userId": f"user_{rng.randint(1, reviewers):06d}",
                          "rating": rating, "comment": rng.choice(REVIEW_COMMENTS[rating]),
                          "createdAt": iso(rng.randint(400, 1040), rng.randint(0, 86399))}
                f.write(json.dumps(review, ensure_ascii=False) + "\n")
                user, at = int(review["userId"][5:]), stamp_of(review["createdAt"])
                first_review[user] = min(first_review.get(user, at), at)

    # Everything below draws after the products and reviews, which therefore never move.
    shop = Assortment(rng, meta, created, stocks, by_type)
    demand_cum = list(itertools.accumulate(demand(day) for day in ORDER_DAYS))
    sale_days = [on_sale(day) for day in range(LAST_ORDER_DAY + 1)]
    n_orders = orders if orders is not None else min(products * 3, 120_000)
    customers, carted = write_orders(os.path.join(out, "orders.ndjson"), rng, life, shop, n_orders,
                                     demand_cum, sale_days)
    # Every reviewer exists, and some accounts never ordered.
    n_users = max(len(customers) + round(NEVER_ORDERED * len(customers)), reviewers)
    signups = write_users(os.path.join(out, "users.ndjson"), life, customers, first_review, n_users, demand_cum)
    write_wishlists(os.path.join(out, "wishlists.ndjson"), rng, shop, products, created, signups)
    write_carts(os.path.join(out, "carts.ndjson"), crng, shop, carted, signups, demand_cum, sale_days)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=2400, help="number of products (default 2400)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--orders", type=int, default=None, help="number of orders (default 3 x products, at most 120000)")
    parser.add_argument("--out", required=True, help="export folder to write")
    args = parser.parse_args()
    if args.products < len(TYPES):
        parser.error(f"--products must be at least {len(TYPES)} (one per product type)")
    generate(args.products, args.seed, args.out, args.orders)


if __name__ == "__main__":
    main()
