// The demo storefront: a reference of how a shop calls vivr-search. Plain JavaScript, no build
// step, no external resources. Search as you type (instant mode, debounced, stale answers
// dropped), a submitted search on Enter (full mode), suggestions and refinement chips, facets,
// sorting, and a product view with similar products and "complete the look".
"use strict";

const DEBOUNCE_MS = 150;
const PAGE = 24;
const FACETS = ["category", "color", "material", "style"];
const FACET_LABELS = { category: "Catégorie", color: "Couleur", material: "Matière", style: "Style" };
const FACET_VALUES_SHOWN = 12;

const $ = (id) => document.getElementById(id);
const euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });

const state = {
  q: "",
  sort: "relevance",
  filters: { category: null, minPrice: null, maxPrice: null, inStock: null, attributes: {} },
};
let categoryNames = {};
let sent = 0; // id of the latest search sent: an answer to an older one is stale
let keystrokeAt = null;
let debounce = null;
let activeOption = -1;

// What the browser test reads: keystroke-to-render times and the query last rendered.
// `timings`: from the keystroke (debounce included); `answerTimings`: from the request sent.
window.__vivr = { timings: [], answerTimings: [], rendered: 0 };

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  if (!response.ok) throw new Error(json.message || `HTTP ${response.status}`);
  return json;
}

function searchBody(mode) {
  const f = state.filters;
  const filters = {};
  if (f.category) filters.category = f.category;
  if (f.minPrice != null) filters.minPrice = f.minPrice;
  if (f.maxPrice != null) filters.maxPrice = f.maxPrice;
  if (f.inStock != null) filters.inStock = f.inStock;
  const attributes = Object.fromEntries(Object.entries(f.attributes).filter(([, v]) => v.length));
  if (Object.keys(attributes).length) filters.attributes = attributes;
  return {
    q: state.q, mode, filters, sort: state.sort, limit: PAGE, highlight: true,
    facets: [...FACETS, "price"],
  };
}

async function search(mode) {
  const id = ++sent;
  const startedAt = keystrokeAt;
  keystrokeAt = null;
  const sentAt = performance.now();
  try {
    const response = await call("POST", "/v1/search", searchBody(mode));
    if (id !== sent) return; // a newer search is on its way: this answer is stale
    render(response);
    if (startedAt != null) {
      window.__vivr.timings.push(performance.now() - startedAt);
      window.__vivr.answerTimings.push(performance.now() - sentAt);
    }
  } catch (error) {
    if (id === sent) $("status").textContent = `La recherche a échoué : ${error.message}`;
  }
}

async function suggest() {
  const query = state.q;
  if (!query.trim()) return closeSuggestions();
  try {
    const s = await call("POST", "/api/ai/search/suggest", { query });
    if (query !== state.q) return;
    renderSuggestions(s.completions || []);
    renderChips(s.aiSuggestions || []);
  } catch {
    closeSuggestions();
  }
}

// ---- results ----------------------------------------------------------------------------

function hue(text) {
  let h = 0;
  for (const c of text) h = (h * 31 + c.codePointAt(0)) % 360;
  return h;
}

// A coloured tile instead of the product photo: the page loads nothing from outside.
function thumb(name, categorySlug) {
  const tile = document.createElement("div");
  tile.className = "thumb";
  tile.style.background = `hsl(${hue(categorySlug)} 35% 52%)`;
  tile.setAttribute("aria-hidden", "true");
  tile.textContent = name.charAt(0).toUpperCase();
  return tile;
}

function priceLine(price, comparePrice) {
  const line = document.createElement("div");
  line.className = "price-line";
  const now = document.createElement("span");
  now.className = "price-now";
  now.textContent = euros.format(price);
  line.append(now);
  if (comparePrice && comparePrice > price) {
    const was = document.createElement("s");
    was.className = "price-was";
    was.innerHTML = '<span class="visually-hidden">au lieu de </span>';
    was.append(euros.format(comparePrice));
    line.append(was);
  }
  return line;
}

function stockLine(inStock) {
  const stock = document.createElement("span");
  stock.className = `stock ${inStock ? "in" : "out"}`;
  stock.textContent = inStock ? "En stock" : "Rupture de stock";
  return stock;
}

function card(hit) {
  const li = document.createElement("li");
  const article = document.createElement("article");
  article.className = "card";
  const open = document.createElement("button");
  open.type = "button";
  open.className = "open";
  open.dataset.id = hit.id;
  open.addEventListener("click", () => openProduct(hit.id));
  const body = document.createElement("div");
  body.className = "body";
  const name = document.createElement("span");
  name.className = "name";
  // `_formatted.name` is escaped by the engine, with <mark> around the matched words.
  if (hit._formatted && hit._formatted.name) name.innerHTML = hit._formatted.name;
  else name.textContent = hit.name;
  const category = document.createElement("span");
  category.className = "cat";
  category.textContent = hit.category.name;
  body.append(name, category, priceLine(hit.price, hit.comparePrice), stockLine(hit.inStock));
  if (hit.rating != null) {
    const rating = document.createElement("span");
    rating.className = "rating";
    rating.textContent = `★ ${hit.rating.toFixed(1).replace(".", ",")} / 5`;
    body.append(rating);
  }
  open.append(thumb(hit.name, hit.category.slug), body);
  article.append(open);
  li.append(article);
  return li;
}

function render(response) {
  const grid = $("grid");
  grid.replaceChildren(...response.hits.map(card));
  grid.dataset.query = response.query;
  const total = response.estimatedTotalHits;
  $("results-title").textContent = state.q ? `Résultats pour « ${state.q} »` : "Nos produits";
  $("status").textContent =
    total === 0 ? "Aucun produit ne correspond." : `${total} produit${total > 1 ? "s" : ""}`;
  renderAlternatives(response.alternatives);
  renderUnderstood(response);
  renderFacets(response.facetDistribution || {}, (response.facetStats || {}).price);
  window.__vivr.rendered += 1;
}

// An empty answer's way out: what the store does not sell yet, then the closest categories
// (buttons that filter on them) and popular products, each labelled.
function renderAlternatives(alternatives) {
  const root = $("alternatives");
  if (!alternatives || !alternatives.items.length) {
    root.hidden = true;
    root.replaceChildren();
    return;
  }
  const categories = alternatives.items.filter((a) => a.kind === "category");
  const products = alternatives.items.filter((a) => a.kind === "popular");
  const head = document.createElement("p");
  head.className = "alternatives-head";
  const offer = categories.length
    ? `voici ${categories.map((c) => c.name).join(", ")}`
    : "voici nos produits populaires";
  // noResults says nothing of what the store sells (a filter, a word typed halfway).
  head.textContent =
    alternatives.reason === "noResults"
      ? `Aucun produit ne correspond : ${offer}.`
      : `Nous ne vendons pas encore de « ${alternatives.wanted} » : ${offer}.`;
  $("status").textContent = head.textContent;
  const buttons = document.createElement("div");
  buttons.className = "alternative-categories";
  for (const c of categories) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "chip";
    b.dataset.kind = "category";
    b.textContent = `${c.label} : ${c.name}`;
    b.addEventListener("click", () => {
      state.q = "";
      $("q").value = "";
      toggleFacet("category", c.slug, true);
    });
    buttons.append(b);
  }
  const grid = document.createElement("ul");
  grid.className = "grid";
  for (const p of products) {
    const li = card(p.product);
    const label = document.createElement("span");
    label.className = "alternative-label";
    label.textContent = p.label;
    li.querySelector(".body").prepend(label);
    grid.append(li);
  }
  root.replaceChildren(head, buttons, grid);
  root.hidden = false;
}

function renderUnderstood(response) {
  const parts = [];
  const understood = ((response.parsedQuery || {}).understood || [])
    .filter((u) => u.applied !== "ignored")
    .map((u) => u.label);
  if (understood.length) parts.push(`Nous avons compris : ${understood.join(", ")}.`);
  if ((response.droppedWords || []).length) {
    parts.push(`Mots ignorés : ${response.droppedWords.join(", ")}.`);
  }
  $("understood").textContent = parts.join(" ");
}

// ---- facets -----------------------------------------------------------------------------

function facetValueLabel(facet, value) {
  return facet === "category" ? categoryNames[value] || value : value;
}

function renderFacets(distribution, priceStats) {
  const root = $("facets");
  const sets = [];
  for (const facet of FACETS) {
    const values = Object.entries(distribution[facet] || {})
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], "fr"))
      .slice(0, FACET_VALUES_SHOWN);
    const chosen = facet === "category"
      ? (state.filters.category ? [state.filters.category] : [])
      : state.filters.attributes[facet] || [];
    if (!values.length && !chosen.length) continue;
    const fieldset = document.createElement("fieldset");
    fieldset.dataset.facet = facet;
    const legend = document.createElement("legend");
    legend.textContent = FACET_LABELS[facet];
    fieldset.append(legend);
    for (const [value, count] of values) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = value;
      box.checked = chosen.includes(value);
      box.addEventListener("change", () => toggleFacet(facet, value, box.checked));
      const text = document.createElement("span");
      text.textContent = facetValueLabel(facet, value);
      const n = document.createElement("span");
      n.className = "count";
      n.textContent = count;
      label.append(box, text, n);
      fieldset.append(label);
    }
    sets.push(fieldset);
  }
  root.replaceChildren(...sets);
  $("price-range").textContent = priceStats
    ? `De ${euros.format(priceStats.min)} à ${euros.format(priceStats.max)}`
    : "";
}

function toggleFacet(facet, value, on) {
  if (facet === "category") {
    state.filters.category = on ? value : null;
  } else {
    const list = new Set(state.filters.attributes[facet] || []);
    on ? list.add(value) : list.delete(value);
    state.filters.attributes[facet] = [...list];
  }
  search("instant");
}

function readPrice(input) {
  const value = input.value.trim();
  return value === "" ? null : Number(value);
}

// ---- suggestions and chips --------------------------------------------------------------

function options() {
  return [...$("suggestions").querySelectorAll("[role=option]")];
}

function renderSuggestions(completions) {
  const list = $("suggestions");
  list.replaceChildren(
    ...completions.map((text, i) => {
      const li = document.createElement("li");
      li.id = `suggestion-${i}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.textContent = text;
      li.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(text);
      });
      return li;
    }),
  );
  activeOption = -1;
  $("q").removeAttribute("aria-activedescendant");
  list.hidden = completions.length === 0;
  $("q").setAttribute("aria-expanded", String(!list.hidden));
}

function closeSuggestions() {
  $("suggestions").hidden = true;
  $("q").setAttribute("aria-expanded", "false");
  $("q").removeAttribute("aria-activedescendant");
  activeOption = -1;
}

function highlightOption(index) {
  const all = options();
  if (!all.length) return;
  activeOption = (index + all.length) % all.length;
  all.forEach((li, i) => li.setAttribute("aria-selected", String(i === activeOption)));
  $("q").setAttribute("aria-activedescendant", all[activeOption].id);
  all[activeOption].scrollIntoView({ block: "nearest" });
}

function choose(text) {
  $("q").value = text;
  state.q = text;
  closeSuggestions();
  clearTimeout(debounce);
  search("full");
}

function renderChips(chips) {
  const root = $("chips");
  root.replaceChildren(
    ...chips.map((chip) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = chip.label;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => {
        applyChip(chip.filters);
        button.setAttribute("aria-pressed", "true");
      });
      return button;
    }),
  );
}

function applyChip(filters) {
  const f = state.filters;
  if (filters.category) f.category = filters.category;
  if (filters.minPrice != null) f.minPrice = filters.minPrice;
  if (filters.maxPrice != null) f.maxPrice = filters.maxPrice;
  if (filters.inStock != null) f.inStock = filters.inStock;
  for (const [facet, values] of Object.entries(filters.attributes || {})) {
    f.attributes[facet] = [...new Set([...(f.attributes[facet] || []), ...values])];
  }
  $("min-price").value = f.minPrice ?? "";
  $("max-price").value = f.maxPrice ?? "";
  search("full");
}

// ---- product view -----------------------------------------------------------------------

function plainText(html) {
  // Parsed in an inert document: nothing in it runs or loads.
  return new DOMParser().parseFromString(html || "", "text/html").body.textContent || "";
}

async function openProduct(id) {
  const dialog = $("product");
  const body = $("product-body");
  body.textContent = "Chargement…";
  $("similar").replaceChildren();
  $("look").replaceChildren();
  if (!dialog.open) dialog.showModal();
  try {
    const p = await call("GET", `/v1/products/${encodeURIComponent(id)}`);
    const detail = document.createElement("div");
    detail.className = "detail";
    const info = document.createElement("div");
    const name = document.createElement("h2");
    name.id = "product-name";
    name.textContent = p.name;
    const path = document.createElement("p");
    path.className = "muted";
    path.textContent = p.categoryPath.map((c) => c.name).join(" › ");
    const description = document.createElement("p");
    description.textContent = plainText(p.description);
    info.append(name, path, priceLine(p.price, p.comparePrice), stockLine(p.inStock), description);
    detail.append(thumb(p.name, p.categoryPath.at(-1)?.slug || ""), info);
    body.replaceChildren(detail);
    $("close-product").focus();
  } catch (error) {
    body.textContent = `Produit introuvable : ${error.message}`;
    return;
  }
  const [similar, look] = await Promise.allSettled([
    call("POST", "/v1/similar", { id, limit: 8 }),
    call("POST", "/v1/recommend", { kind: "complete-the-look", productId: id, limit: 8 }),
  ]);
  if (similar.status === "fulfilled") $("similar").replaceChildren(...similar.value.hits.map(card));
  if (look.status === "fulfilled") $("look").replaceChildren(...look.value.hits.map(card));
}

// ---- wiring -----------------------------------------------------------------------------

function flatten(nodes) {
  for (const n of nodes) {
    categoryNames[n.slug] = n.name;
    flatten(n.children || []);
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  // On a phone the filters start folded, so the results come first.
  if (window.matchMedia("(max-width: 720px)").matches) $("filters").open = false;
  const input = $("q");
  input.addEventListener("input", () => {
    state.q = input.value;
    keystrokeAt = performance.now();
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      search("instant");
      suggest();
    }, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    const open = !$("suggestions").hidden;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      highlightOption(activeOption + 1);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlightOption(activeOption - 1);
    } else if (event.key === "Escape") {
      closeSuggestions();
    } else if (event.key === "Enter" && open && activeOption >= 0) {
      event.preventDefault();
      choose(options()[activeOption].textContent);
    }
  });
  input.addEventListener("blur", () => setTimeout(closeSuggestions, 100));
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(debounce);
    state.q = input.value;
    keystrokeAt = null;
    closeSuggestions();
    search("full");
  });
  $("sort").addEventListener("change", (event) => {
    state.sort = event.target.value;
    search("instant");
  });
  $("apply-price").addEventListener("click", () => {
    state.filters.minPrice = readPrice($("min-price"));
    state.filters.maxPrice = readPrice($("max-price"));
    search("instant");
  });
  $("clear-filters").addEventListener("click", () => {
    state.filters = { category: null, minPrice: null, maxPrice: null, inStock: null, attributes: {} };
    $("min-price").value = "";
    $("max-price").value = "";
    $("chips").replaceChildren();
    search("instant");
  });
  $("close-product").addEventListener("click", () => $("product").close());
  try {
    flatten(await call("GET", "/v1/categories"));
  } catch {
    categoryNames = {};
  }
  search("instant");
});
