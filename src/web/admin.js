// The merchant's page: the analytics routes (/api/ai/admin/insights/…, /v1/analytics/searches)
// read with the token the merchant enters, kept in this tab only (sessionStorage). Plain
// JavaScript, no build step, no external resources; the revenue chart is an SVG drawn here,
// with its figures in a table beside it.
"use strict";

const TOKEN_KEY = "vivr-admin-token";
const ACTUAL_DAYS = 90;
const FORECAST_DAYS = 30;
const LOW_STOCK_ROWS = 15;
const SVG = "http://www.w3.org/2000/svg";
const DAY_MS = 86400000;

const $ = (id) => document.getElementById(id);
const euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
const wholeEuros = new Intl.NumberFormat("fr-FR", {
  style: "currency", currency: "EUR", maximumFractionDigits: 0,
});
const compactEuros = new Intl.NumberFormat("fr-FR", {
  style: "currency", currency: "EUR", notation: "compact", maximumFractionDigits: 1,
});
const integer = new Intl.NumberFormat("fr-FR");
const decimal = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 1 });
const pace = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });
const share = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 1 });
const roundShare = new Intl.NumberFormat("fr-FR", { style: "percent", maximumFractionDigits: 0 });
const signed = new Intl.NumberFormat("fr-FR", { signDisplay: "exceptZero", maximumFractionDigits: 1 });
// Days are "2026-11-06" strings, read as UTC midnights so that no time zone shifts them.
const longDay = new Intl.DateTimeFormat("fr-FR", {
  timeZone: "UTC", day: "numeric", month: "long", year: "numeric",
});
const shortDay = new Intl.DateTimeFormat("fr-FR", { timeZone: "UTC", day: "numeric", month: "short" });
const cohortMonth = new Intl.DateTimeFormat("fr-FR", { timeZone: "UTC", month: "short", year: "numeric" });

const toTime = (day) => Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
const toDay = (time) => new Date(time).toISOString().slice(0, 10);
const addDays = (day, n) => toDay(toTime(day) + n * DAY_MS);
const formatDay = (day) => longDay.format(toTime(day));

let loadId = 0; // id of the latest load: answers to an older one (before a logout) are dropped
let chart = null; // what the revenue chart shows, redrawn at the box's width

// ---- calls ------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
  get refused() {
    return this.status === 401 || this.status === 403;
  }
}

async function get(path, token) {
  let response;
  try {
    response = await fetch(path, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      cache: "no-store",
    });
  } catch {
    throw new Error("le serveur ne répond pas");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function refusal(error) {
  let text;
  if (error.status === 403) {
    text = "Ce jeton n'a pas le droit de lire les statistiques (analytics:read).";
  } else if (error.code === "token_required") {
    text = "Un jeton d'accès est nécessaire pour lire les statistiques.";
  } else {
    text = "Ce jeton d'accès n'est pas reconnu : vérifiez-le, ou demandez-en un nouveau.";
  }
  return `${text} Réponse du serveur : « ${error.message} »`;
}

// ---- small DOM helpers ------------------------------------------------------------------

function cell(tag, text, className) {
  const c = document.createElement(tag);
  if (className) c.className = className;
  if (text instanceof Node) c.append(text);
  else c.textContent = text;
  if (tag === "th") c.scope = "row";
  return c;
}

function row(...cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

function part(section, name) {
  return section.querySelector(`[data-${name}]`);
}

function showTable(section, rows) {
  const wrap = section.querySelector(".table-wrap");
  wrap.querySelector("tbody").replaceChildren(...rows);
  wrap.hidden = rows.length === 0;
}

function change(pct) {
  if (pct == null) return cell("td", "nouveau", "num muted");
  return cell("td", `${signed.format(pct)} %`, `num ${pct > 0 ? "up" : pct < 0 ? "down" : ""}`);
}

// ---- sections ---------------------------------------------------------------------------

const SECTIONS = ["revenue", "top", "stock", "cohorts", "searches"];

function resetSections() {
  chart = null;
  for (const id of SECTIONS) {
    const section = $(id);
    part(section, "summary").textContent = "";
    part(section, "error").textContent = "";
    part(section, "loading").hidden = false;
    part(section, "loading").textContent = "Chargement…";
    section.setAttribute("aria-busy", "true");
    for (const wrap of section.querySelectorAll(".table-wrap")) {
      wrap.hidden = true;
      wrap.querySelector("tbody").replaceChildren();
    }
  }
  $("revenue-figure").hidden = true;
  $("revenue-chart-box").replaceChildren();
  $("revenue-data").hidden = true;
  $("revenue-data").open = false;
  $("stock-counts").hidden = true;
  $("stock-note").textContent = "";
  $("cohorts-key").hidden = true;
  $("cohorts-note").textContent = "";
  $("cohorts-table").querySelector("thead").replaceChildren();
  $("searches-empty").hidden = true;
}

/// Runs `work` for the section `id` and renders its answer; a refusal of the token is
/// thrown to the caller (the whole page then asks for a token again), any other error is
/// shown in the section.
async function fill(id, current, work) {
  const section = $(id);
  try {
    await work(section);
  } catch (error) {
    if (error instanceof ApiError && error.refused) throw error;
    if (current()) part(section, "error").textContent = `Indisponible : ${error.message}`;
    throw error;
  } finally {
    if (current()) {
      part(section, "loading").hidden = true;
      section.removeAttribute("aria-busy");
    }
  }
}

// Revenue: the last 90 days of actual revenue, then the forecast and its intervals.
async function loadRevenue(token, current) {
  let forecast = null;
  let forecastError = null;
  try {
    forecast = await get(`/api/ai/admin/insights/forecast?forecastDays=${FORECAST_DAYS}`, token);
  } catch (error) {
    if (error instanceof ApiError && error.refused) throw error;
    forecastError = error;
  }
  // The forecast's history ends yesterday; without a forecast, the sales route's own default
  // span tells the last day.
  const end = forecast
    ? forecast.historyEnd
    : (await get("/api/ai/admin/insights/sales", token)).endDate;
  const start = addDays(end, -(ACTUAL_DAYS - 1));
  const sales = await get(
    `/api/ai/admin/insights/sales?startDate=${start}&endDate=${end}&granularity=day`,
    token,
  );
  if (!current()) return;
  const section = $("revenue");
  part(section, "summary").textContent = sales.summary;
  if (forecastError) {
    part(section, "error").textContent = `Prévision indisponible : ${forecastError.message}`;
  }
  chart = { sales, forecast };
  $("revenue-figure").hidden = false;
  drawChart();
  if (forecast) renderForecastData(forecast);
}

function renderForecastData(f) {
  $("forecast-summary").textContent = f.summary;
  const b = f.backtest;
  let model = `Modèle : ${f.model}`;
  if (f.fallbackReason) model += ` (repli : ${f.fallbackReason})`;
  if (b.model) {
    const judged = f.fallbackReason ? ` ; ${b.modelName} :` : ",";
    model += `${judged} erreur (WAPE) ${roundShare.format(b.model.wape)} contre ` +
      `${roundShare.format(b.seasonalNaive.wape)} pour le naïf saisonnier`;
    model += `, ${roundShare.format(b.model.coverage80)} des jours dans l'intervalle à 80 %`;
  } else {
    model += `, erreur (WAPE) du naïf saisonnier ${roundShare.format(b.seasonalNaive.wape)}`;
  }
  model += ` (backtest : ${b.folds} origines, ${b.horizonDays} jours chacune).`;
  $("forecast-model").textContent = model;
  $("forecast-limitations").textContent = `Limites : ${f.limitations}`;
  const rows = f.points.map((p) =>
    row(
      cell("th", formatDay(p.date)),
      cell("td", euros.format(p.value), "num"),
      cell("td", `${euros.format(p.lower80)} – ${euros.format(p.upper80)}`, "num"),
      cell("td", `${euros.format(p.lower95)} – ${euros.format(p.upper95)}`, "num"),
    ));
  $("forecast-table").querySelector("tbody").replaceChildren(...rows);
  $("forecast-table").closest(".table-wrap").hidden = false;
  $("revenue-data").hidden = false;
}

function svg(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.append(node);
  return node;
}

/// A round step for about `count` ticks up to `top`.
function niceStep(top, count) {
  const raw = top / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function drawChart() {
  if (!chart) return;
  const { sales, forecast } = chart;
  const box = $("revenue-chart-box");
  const width = Math.max(280, Math.round(box.clientWidth || 640));
  if (box.dataset.width === String(width) && box.firstChild) return;
  box.dataset.width = String(width);
  const narrow = width < 560;
  const height = narrow ? 240 : 320;
  const m = { top: 14, right: 14, bottom: 30, left: narrow ? 58 : 84 };
  const money = narrow ? compactEuros : wholeEuros;

  const actual = sales.periods.map((p) => ({ t: toTime(p.start), v: p.revenue }));
  const points = forecast ? forecast.points.map((p) => ({ ...p, t: toTime(p.date) })) : [];
  const t0 = actual.length ? actual[0].t : points[0].t;
  const t1 = points.length ? points.at(-1).t : actual.at(-1).t;
  const values = [
    ...actual.map((p) => p.v),
    ...points.flatMap((p) => [p.upper95, p.lower95, p.value]),
  ];
  const low = Math.min(0, ...values);
  const high = Math.max(1, ...values);
  const step = niceStep(high - low, narrow ? 4 : 5);
  const yMin = Math.floor(low / step) * step;
  const yMax = Math.ceil(high / step) * step;
  const x = (t) => m.left + ((t - t0) / Math.max(DAY_MS, t1 - t0)) * (width - m.left - m.right);
  const y = (v) => m.top + (1 - (v - yMin) / (yMax - yMin)) * (height - m.top - m.bottom);
  const xy = (t, v) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`;
  const line = (list, value) => list.map((p, i) => `${i ? "L" : "M"}${xy(p.t, value(p))}`).join(" ");
  const band = (lower, upper) =>
    `${line(points, upper)} ${points.slice().reverse().map((p) => `L${xy(p.t, lower(p))}`).join(" ")} Z`;

  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width: "100%",
    role: "img",
    "aria-labelledby": "revenue-chart-title",
    "aria-describedby": "revenue-chart-desc",
    id: "revenue-chart",
  });
  svg("title", { id: "revenue-chart-title" }, root).textContent = forecast
    ? `Chiffre d'affaires par jour sur ${ACTUAL_DAYS} jours et prévision sur ${points.length} jours`
    : `Chiffre d'affaires par jour sur ${ACTUAL_DAYS} jours`;
  svg("desc", { id: "revenue-chart-desc" }, root).textContent = describe(sales, forecast);

  // Euro gridlines and labels.
  for (let v = yMin; v <= yMax + step / 2; v += step) {
    svg("line", { class: "grid-line", x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }, root);
    const label = svg("text", { x: m.left - 8, y: y(v) + 4, "text-anchor": "end" }, root);
    label.textContent = money.format(v);
  }
  // Date labels: the first day of each month in the span.
  const ticks = [];
  const first = new Date(t0);
  for (let d = Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + (first.getUTCDate() > 1 ? 1 : 0), 1);
    d <= t1; d = Date.UTC(new Date(d).getUTCFullYear(), new Date(d).getUTCMonth() + 1, 1)) ticks.push(d);
  for (const t of ticks) {
    svg("line", { class: "axis", x1: x(t), x2: x(t), y1: height - m.bottom, y2: height - m.bottom + 5 }, root);
    const label = svg("text", { x: x(t), y: height - m.bottom + 19, "text-anchor": "middle" }, root);
    label.textContent = shortDay.format(t);
  }
  svg("line", {
    class: "axis", x1: m.left, x2: width - m.right, y1: height - m.bottom, y2: height - m.bottom,
  }, root);

  if (points.length) {
    svg("path", { class: "band95", d: band((p) => p.lower95, (p) => p.upper95) }, root);
    svg("path", { class: "band80", d: band((p) => p.lower80, (p) => p.upper80) }, root);
    const start = points[0].t;
    svg("line", { class: "today", x1: x(start), x2: x(start), y1: m.top, y2: height - m.bottom }, root);
    const label = svg("text", { class: "today-label", x: x(start) + 4, y: m.top + 10 }, root);
    label.textContent = "Prévision";
  }
  if (actual.length) svg("path", { class: "actual", d: line(actual, (p) => p.v) }, root);
  if (points.length) {
    // From the last actual day, so that the two lines meet.
    const joined = actual.length ? [actual.at(-1), ...points] : points;
    svg("path", { class: "forecast", d: line(joined, (p) => (p.value ?? p.v)) }, root);
  }
  box.replaceChildren(root);
}

function describe(sales, forecast) {
  const days = sales.periods;
  let text = "";
  if (days.length) {
    const values = days.map((p) => p.revenue);
    text = `Du ${formatDay(days[0].start)} au ${formatDay(days.at(-1).start)}, le chiffre d'affaires ` +
      `réel va de ${euros.format(Math.min(...values))} à ${euros.format(Math.max(...values))} par jour, ` +
      `${euros.format(sales.total.revenue)} au total.`;
  }
  if (forecast && forecast.points.length) {
    const p = forecast.points;
    text += ` La prévision du ${formatDay(forecast.startDate)} au ${formatDay(forecast.endDate)} ` +
      `totalise ${euros.format(forecast.total)}, soit ${euros.format(forecast.total / p.length)} ` +
      `par jour en moyenne, avec ses intervalles à 80 % et 95 % en bandes autour de la ligne pointillée.`;
  }
  return text.trim();
}

async function loadTop(token, current) {
  const top = await get("/api/ai/admin/insights/top-products?period=month&limit=10", token);
  if (!current()) return;
  const section = $("top");
  part(section, "summary").textContent = top.summary;
  showTable(section, top.byRevenue.map((p) => {
    const name = cell("th", p.name || p.productId);
    if (p.category) name.append(cell("span", p.category, "sub"));
    return row(
      name,
      cell("td", euros.format(p.revenue), "num"),
      cell("td", integer.format(p.units), "num"),
      change(p.revenueChangePct),
    );
  }));
}

async function loadStock(token, current) {
  const inv = await get("/api/ai/admin/insights/inventory", token);
  if (!current()) return;
  const section = $("stock");
  part(section, "summary").textContent = inv.summary;
  const counts = [
    ["En rupture", inv.outOfStockCount],
    ["En stock faible", inv.lowStockCount],
    ["À réapprovisionner", inv.likelyToRunOut.length],
    ["Sans vente depuis 90 jours", inv.deadStockCount],
  ];
  $("stock-counts").replaceChildren(...counts.map(([label, n]) => {
    const item = document.createElement("div");
    item.append(cell("dt", label), cell("dd", integer.format(n)));
    return item;
  }));
  $("stock-counts").hidden = false;
  const shown = inv.lowStock.slice(0, LOW_STOCK_ROWS);
  showTable(section, shown.map((s) => row(
    cell("th", s.name),
    s.daysOfCover == null
      ? cell("td", "pas de vente", "num muted")
      : cell("td", decimal.format(s.daysOfCover), "num"),
    cell("td", integer.format(s.stock), "num"),
    cell("td", pace.format(s.dailySales), "num"),
  )));
  $("stock-note").textContent = inv.lowStockCount > shown.length
    ? `Les ${shown.length} qui s'épuisent le plus vite, sur ${integer.format(inv.lowStockCount)}.`
    : shown.length ? "" : "Aucun produit en stock faible.";
}

/// The shade of a retention share: r0 (under 2 %) … r4 (25 % and more).
function bucket(r) {
  if (r >= 0.25) return "r4";
  if (r >= 0.1) return "r3";
  if (r >= 0.05) return "r2";
  if (r >= 0.02) return "r1";
  return "r0";
}

async function loadCohorts(token, current) {
  const c = await get("/api/ai/admin/insights/customers?metric=retention", token);
  if (!current()) return;
  const section = $("cohorts");
  part(section, "summary").textContent = c.summary;
  const cohorts = c.cohorts || [];
  const thisMonth = c.endDate.slice(0, 7);
  const months = Math.min(12, Math.max(0, ...cohorts.map((k) => k.retention.length)));
  const column = (text, className) => {
    const th = cell("th", text, className);
    th.scope = "col";
    return th;
  };
  const head = row(column("Cohorte"), column("Clients", "num"));
  for (let k = 0; k < months; k++) head.append(column(`M${k}`, "num"));
  $("cohorts-table").querySelector("thead").replaceChildren(head);
  showTable(section, cohorts.map((k) => {
    const cells = [
      cell("th", cohortMonth.format(toTime(`${k.cohort}-01`))),
      cell("td", integer.format(k.customers), "num"),
    ];
    const [year, month] = k.cohort.split("-").map(Number);
    for (let i = 0; i < months; i++) {
      const r = k.retention[i];
      if (r == null || !Number.isFinite(r)) {
        cells.push(cell("td", "", "na"));
        continue;
      }
      const td = cell("td", share.format(r), bucket(r));
      // The month under way is not over: its share is partial.
      if (toDay(Date.UTC(year, month - 1 + i, 1)).slice(0, 7) === thisMonth && i > 0) {
        td.classList.add("partial");
        td.append(cell("span", " (mois en cours)", "visually-hidden"));
      }
      cells.push(td);
    }
    return row(...cells);
  }));
  $("cohorts-note").textContent = cohorts.length
    ? "Chaque ligne : les nouveaux clients d'un mois (leur première commande) ; M0 est ce " +
      `mois-là, M1 le suivant, etc. En italique : le mois en cours, compté jusqu'au ` +
      `${formatDay(c.endDate)} seulement.`
    : "";
  $("cohorts-key").hidden = cohorts.length === 0;
}

async function loadSearches(token, current) {
  const s = await get("/v1/analytics/searches?period=month&limit=10", token);
  if (!current()) return;
  const section = $("searches");
  part(section, "summary").textContent = s.summary;
  showTable(section, s.zeroResultQueries.map((q) => row(
    cell("th", q.query),
    cell("td", integer.format(q.searches), "num"),
    cell("td", integer.format(q.zeroResultSearches), "num"),
  )));
  $("searches-empty").hidden = s.zeroResultQueries.length > 0;
}

// ---- signing in and out -----------------------------------------------------------------

// The token, for this tab only; where the browser refuses storage, for this page only.
function keep(token) {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage refused (private browsing): the token lasts until the page is left.
  }
}
function kept() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}
function forget() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing was kept.
  }
}

function showLogin(message) {
  $("dashboard").hidden = true;
  delete $("dashboard").dataset.loaded;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function load(token) {
  const id = ++loadId;
  const current = () => id === loadId;
  $("login").hidden = true;
  $("login-error").textContent = "";
  $("logout").hidden = false;
  $("dashboard").hidden = false;
  delete $("dashboard").dataset.loaded;
  resetSections();
  $("status").textContent = "Chargement des statistiques…";
  const results = await Promise.allSettled([
    fill("revenue", current, () => loadRevenue(token, current)),
    fill("top", current, () => loadTop(token, current)),
    fill("stock", current, () => loadStock(token, current)),
    fill("cohorts", current, () => loadCohorts(token, current)),
    fill("searches", current, () => loadSearches(token, current)),
  ]);
  if (!current()) return;
  const errors = results.filter((r) => r.status === "rejected").map((r) => r.reason);
  const refused = errors.find((e) => e instanceof ApiError && e.refused);
  if (refused) {
    loadId += 1;
    forget();
    $("token").value = "";
    showLogin(refusal(refused));
    $("status").textContent = "Connexion refusée.";
    $("token").focus();
    return;
  }
  $("status").textContent = errors.length
    ? `Statistiques chargées ; ${errors.length} section${errors.length > 1 ? "s" : ""} indisponible${errors.length > 1 ? "s" : ""}.`
    : "Statistiques chargées.";
  $("dashboard").dataset.loaded = "true";
}

function logout() {
  loadId += 1;
  forget();
  resetSections();
  showLogin("");
  $("token").value = "";
  $("status").textContent = "Vous êtes déconnecté : le jeton est oublié dans cet onglet.";
  $("token").focus();
}

// ---- wiring -----------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) {
      $("login-error").textContent = "Saisissez le jeton d'accès.";
      $("token").focus();
      return;
    }
    keep(token);
    $("token").value = "";
    load(token);
    $("main").focus();
  });
  $("logout").addEventListener("click", logout);
  let frame = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(drawChart);
  });
  const token = kept();
  if (token) load(token);
  else showLogin("");
});
