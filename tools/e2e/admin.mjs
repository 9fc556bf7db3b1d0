// End-to-end tests of the merchant's page (/admin) in headless Chromium (Debian's package,
// driven by playwright-core): the token form, the revenue chart with its forecast bands, the
// best sellers, low stock, cohort and zero-result search tables, the token kept on reload and
// forgotten on logout, a refused token, a phone-width layout; nothing loaded from elsewhere and
// nothing refused by the Content-Security-Policy. Run by tools/e2e.sh after storefront.mjs.
//
//   VIVR_ADMIN_TOKEN=<the server's admin token> node admin.mjs <base url> <screenshots dir>
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, shots] = process.argv.slice(2);
const token = process.env.VIVR_ADMIN_TOKEN;
if (!base || !shots || !token) {
  console.log("usage: VIVR_ADMIN_TOKEN=<token> node admin.mjs <base url> <screenshots dir>");
  process.exit(2);
}
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];
const TOKEN_KEY = "vivr-admin-token";
const ZERO_RESULT_QUERY = "jacuzzi gonflable";

const failures = [];
async function check(name, body) {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (error) {
    failures.push(name);
    console.log(`FAIL ${name}: ${error.message}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Searches a shopper makes, one query twice, another from another session: both find nothing,
// so the search log has zero-result queries for the page to list.
async function search(q, sessionId) {
  const response = await fetch(`${base}/v1/search`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ q, mode: "instant", sessionId }),
  });
  if (!response.ok) throw new Error(`POST /v1/search ${q}: HTTP ${response.status}`);
  return (await response.json()).estimatedTotalHits;
}
const seeded = [
  await search(ZERO_RESULT_QUERY, "e2e-admin"),
  await search(ZERO_RESULT_QUERY, "e2e-admin"),
  await search("trampoline", "e2e-admin-2"),
];
// The server writes its search log in the background: poll the analytics route until the
// query is there (a few seconds at most), and keep its last answer to explain a failure.
let searchInsights = null;
for (let i = 0; i < 20; i++) {
  const response = await fetch(`${base}/v1/analytics/searches?period=month&limit=10`, {
    headers: { authorization: `Bearer ${token}` },
  });
  searchInsights = { status: response.status, body: await response.json() };
  const queries = (searchInsights.body.zeroResultQueries || []).map((q) => q.query);
  if (response.status !== 200 || queries.includes(ZERO_RESULT_QUERY)) break;
  await sleep(250);
}

const profile = mkdtempSync(join(tmpdir(), "vivr-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: FLAGS,
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] ?? (await context.newPage());
const foreign = [];
page.on("request", (r) => {
  if (!r.url().startsWith(base)) foreign.push(r.url());
});
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(e.message));
const cspViolations = [];
page.on("console", (m) => {
  if (m.text().includes("Content Security Policy")) cspViolations.push(m.text());
});

const loaded = () => page.waitForSelector("#dashboard[data-loaded]", { timeout: 60000 });
const rows = (table) => page.$$eval(`#${table} tbody tr`, (trs) => trs.length);
const text = async (selector) => ((await page.textContent(selector)) || "").trim();
const stored = () => page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY);

async function signIn(value) {
  await page.fill("#token", value);
  await page.click("#login-form button[type=submit]");
}

await page.goto(`${base}/admin`);

await check("the token form comes first, reachable by keyboard", async () => {
  await page.waitForSelector("#login:not([hidden]) #token");
  assert(await page.isHidden("#dashboard"), "the dashboard shows without a token");
  assert((await text("label[for=token]")) === "Jeton d'accès (analytics:read)",
    `label « ${await text("label[for=token]")} »`);
  assert((await page.getAttribute("#token", "type")) === "password", "the token is not a password field");
  for (let i = 0; i < 8 && (await page.evaluate(() => document.activeElement.id)) !== "token"; i++) {
    await page.keyboard.press("Tab");
  }
  assert((await page.evaluate(() => document.activeElement.id)) === "token", "Tab does not reach the token");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert(outline !== "none", "no visible focus on the token field");
});

await check("signing in draws the revenue chart: actual line, forecast line, 80 % and 95 % bands", async () => {
  await signIn(token);
  await loaded();
  const chart = await page.evaluate(() => {
    const svg = document.querySelector("#revenue-chart");
    if (!svg) return null;
    const d = (cls) => svg.querySelector(`path.${cls}`)?.getAttribute("d") || "";
    return {
      role: svg.getAttribute("role"),
      title: svg.querySelector("title")?.textContent || "",
      desc: svg.querySelector("desc")?.textContent || "",
      actual: d("actual"), forecast: d("forecast"), band80: d("band80"), band95: d("band95"),
      labels: [...svg.querySelectorAll("text")].map((t) => t.textContent),
    };
  });
  assert(chart, "no chart");
  assert(chart.role === "img" && chart.title && chart.desc, "the chart has no role, title or description");
  const points = (d) => (d.match(/[ML]/g) || []).length;
  assert(points(chart.actual) === 90, `the actual line has ${points(chart.actual)} days, not 90`);
  assert(points(chart.forecast) === 31, `the forecast line has ${points(chart.forecast)} points, not 1 + 30`);
  assert(chart.band80.endsWith("Z") && chart.band95.endsWith("Z"), "bands are not closed areas");
  assert(chart.labels.some((l) => l.includes("€")), "no euro label on the axis");
  assert(chart.labels.some((l) => /\d+ (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)/.test(l)),
    `no date label: ${chart.labels.join(" | ")}`);
  assert((await text("#revenue [data-summary]")).startsWith("Du "), "no sales summary");
});

await check("the chart's figures are in a table, with the model and its limits", async () => {
  await page.click("#revenue-data summary");
  assert((await rows("forecast-table")) === 30, `${await rows("forecast-table")} forecast rows`);
  const model = await text("#forecast-model");
  assert(/^Modèle : .+WAPE.+naïf saisonnier/.test(model), `model line « ${model} »`);
  assert((await text("#forecast-summary")).startsWith("Prévision du"), "no forecast summary");
  assert((await text("#forecast-limitations")).includes("Black Friday"), "no limitations");
});

await check("best sellers over 30 days", async () => {
  assert((await rows("top-table")) > 0, "no best seller");
  const first = await page.$$eval("#top-table tbody tr:first-child > *", (cs) => cs.map((c) => c.textContent));
  assert(first.length === 4 && first[1].includes("€"), `first row ${first.join(" | ")}`);
  assert((await text("#top [data-summary]")).includes("en tête des ventes"), "no summary");
});

await check("low stock with days of cover and the counts", async () => {
  assert((await rows("stock-table")) > 0, "no low-stock row");
  const head = await page.$$eval("#stock-table thead th", (ths) => ths.map((t) => t.textContent));
  assert(head.includes("Jours de couverture"), `columns ${head.join(" | ")}`);
  assert((await page.$$eval("#stock-counts dd", (dds) => dds.length)) === 4, "no counts");
  assert((await text("#stock [data-summary]")).includes("en stock faible"), "no summary");
});

await check("cohort retention table, shaded by classes", async () => {
  const cohorts = await rows("cohorts-table");
  assert(cohorts >= 6, `${cohorts} cohorts`);
  const head = await page.$$eval("#cohorts-table thead th", (ths) => ths.map((t) => t.textContent));
  assert(head.includes("M0") && head.includes("M1"), `columns ${head.join(" | ")}`);
  assert((await text("#cohorts-table caption")).length > 0, "no caption");
  const shades = await page.$$eval("#cohorts-table tbody td", (tds) =>
    [...new Set(tds.map((td) => td.className.match(/\br[0-4]\b/)?.[0]).filter(Boolean))]);
  assert(shades.length >= 3, `shades used: ${shades.join(", ")}`);
  assert((await page.$$eval("[style]", (els) => els.length)) === 0, "style attributes in the page");
  assert((await text("#cohorts [data-summary]")).includes("cohortes"), "no summary");
});

await check("the zero-result searches section renders", async () => {
  assert(await page.isHidden("#searches [data-loading]"), "still loading");
  const error = await text("#searches [data-error]");
  assert(!error, `error: ${error}`);
  assert((await text("#searches [data-summary]")).length > 0, "no summary");
});

await check(`the zero-result searches list « ${ZERO_RESULT_QUERY} »`, async () => {
  assert(seeded.every((hits) => hits === 0), `the seeded searches found products: ${seeded.join(", ")}`);
  const listed = await page.$$eval("#searches-table tbody th", (ths) => ths.map((t) => t.textContent));
  const b = searchInsights.body;
  assert(listed.includes(ZERO_RESULT_QUERY),
    `not listed (${listed.length} listed). The searches were logged (hits: ${seeded.join(", ")}) ` +
    `at ${new Date().toISOString()}; /v1/analytics/searches answered ${searchInsights.status} for ` +
    `${b.startDate}..${b.endDate} with ${b.loggedSearches} logged searches: « ${b.summary || b.message} »`);
});

await check("a reload keeps the token (sessionStorage)", async () => {
  assert((await stored()) === token, "the token is not in sessionStorage");
  await page.reload();
  await loaded();
  assert(await page.isHidden("#login"), "the form shows again after a reload");
  assert((await rows("top-table")) > 0, "no data after the reload");
  await page.screenshot({ path: join(shots, "admin.png"), fullPage: true });
});

await check("« Se déconnecter » forgets the token and shows the form again", async () => {
  await page.click("#logout");
  await page.waitForSelector("#login:not([hidden])");
  assert(await page.isHidden("#dashboard"), "the dashboard still shows");
  assert((await stored()) === null, "the token is still in sessionStorage");
  assert((await page.evaluate(() => document.activeElement.id)) === "token", "focus is not on the token");
  await page.reload();
  await page.waitForSelector("#login:not([hidden])");
  assert(await page.isHidden("#dashboard"), "the dashboard shows after a reload");
});

await check("a wrong token shows the server's refusal, not a blank page", async () => {
  await signIn("not-the-admin-token-0000");
  await page.waitForFunction(() => document.getElementById("login-error").textContent.trim() !== "",
    null, { timeout: 10000 });
  const message = await text("#login-error");
  assert(message.includes("jeton") && message.includes("Réponse du serveur"), `message « ${message} »`);
  assert(await page.isVisible("#token"), "the form is not shown");
  assert(await page.isHidden("#dashboard"), "the dashboard shows");
  assert((await stored()) === null, "the wrong token is kept");
  await page.screenshot({ path: join(shots, "admin-refused.png") });
});

await check("a token without analytics:read is told so (403)", async () => {
  // A staff token lacking the scope: the routes' 403 answer, stood in for here.
  await page.route(/\/(api\/ai\/admin\/insights|v1\/analytics)\//, (route) => route.fulfill({
    status: 403,
    contentType: "application/json",
    body: JSON.stringify({
      message: "this token lacks the analytics:read scope", code: "insufficient_scope", type: "auth",
    }),
  }));
  try {
    await signIn("a-staff-token-without-the-scope");
    await page.waitForFunction(() => document.getElementById("login-error").textContent.trim() !== "",
      null, { timeout: 10000 });
    const message = await text("#login-error");
    assert(message.includes("n'a pas le droit") && message.includes("lacks the analytics:read scope"),
      `message « ${message} »`);
    assert(await page.isHidden("#dashboard"), "the dashboard shows");
    assert((await stored()) === null, "the token is kept");
  } finally {
    await page.unrouteAll();
  }
});

await check("usable at phone width (375 px): no horizontal overflow", async () => {
  await signIn(token);
  await loaded();
  await page.setViewportSize({ width: 375, height: 800 });
  await page.reload();
  await loaded();
  await page.click("#revenue-data summary");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `horizontal overflow of ${overflow}px`);
  const chartWidth = await page.evaluate(() => document.getElementById("revenue-chart").getBoundingClientRect().width);
  assert(chartWidth <= 375 && chartWidth > 250, `chart ${chartWidth}px wide`);
  await page.screenshot({ path: join(shots, "admin-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
});

await check("a refused forecast and no search log show their messages, the rest still renders", async () => {
  // As on a new shop (history too short to forecast) without a state database: the routes'
  // 400 answers, stood in for here.
  const refuse = (message) => (route) => route.fulfill({
    status: 400,
    contentType: "application/json",
    body: JSON.stringify({ message, code: "invalid_field", type: "invalid_request" }),
  });
  await page.route("**/api/ai/admin/insights/forecast*", refuse("no forecast: 20 days of history, 56 needed"));
  await page.route("**/v1/analytics/searches*", refuse("search logs are not available on this server (no state database)"));
  try {
    await page.reload();
    await loaded();
    const revenueError = await text("#revenue [data-error]");
    assert(revenueError.includes("20 days of history"), `revenue message « ${revenueError} »`);
    const drawn = await page.$$eval("#revenue-chart path", (ps) => ps.map((p) => p.getAttribute("class")));
    assert(drawn.join() === "actual", `chart paths: ${drawn.join(", ")}`);
    assert(await page.isHidden("#revenue-data"), "the forecast data shows without a forecast");
    const searchError = await text("#searches [data-error]");
    assert(searchError.includes("no state database"), `searches message « ${searchError} »`);
    assert((await rows("top-table")) > 0 && (await rows("cohorts-table")) >= 6, "other sections missing");
    assert(await page.isHidden("#login"), "the form shows for a 400");
  } finally {
    await page.unrouteAll();
  }
});

await check("nothing is loaded from elsewhere, no script errors, no CSP violations", async () => {
  assert(foreign.length === 0, `external requests: ${foreign.join(", ")}`);
  assert(pageErrors.length === 0, `page errors: ${pageErrors.join(" | ")}`);
  assert(cspViolations.length === 0, `CSP violations: ${cspViolations.join(" | ")}`);
});

await context.close();
rmSync(profile, { recursive: true, force: true });
if (failures.length) {
  console.log(`${failures.length} admin test(s) failed`);
  process.exit(1);
}
