// End-to-end tests of the demo storefront in headless Chromium (Debian's package, driven by
// playwright-core): search as you type, a price facet, a product with similar products,
// keyboard-only suggestions, a phone-width layout; and the time from keystroke to rendered
// results over 50 keystrokes. Run by tools/e2e.sh.
//
//   node storefront.mjs <base url> <screenshots dir>
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [base, shots] = process.argv.slice(2);
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];

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
const fold = (s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

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

/// Waits until the grid shows the answer to `query` (its rendered query).
async function rendered(query) {
  await page.waitForFunction((q) => document.getElementById("grid").dataset.query === q, query, {
    timeout: 10000,
  });
}
const names = () => page.$$eval("#grid .card .name", (els) => els.map((e) => e.textContent));
const total = async () => Number((await page.textContent("#status")).replace(/\D/g, ""));

await page.goto(base);
await rendered("");

await check("typing « canpé » shows sofas while typing", async () => {
  await page.click("#q");
  await page.keyboard.type("canpé", { delay: 60 });
  await rendered("canpé");
  const shown = await names();
  assert(shown.length > 0, "no results");
  assert(shown.every((n) => fold(n).includes("canape")), `not all sofas: ${shown.join(" | ")}`);
  const marked = await page.$$eval("#grid .card mark", (els) => els.length);
  assert(marked > 0, "matched words are not highlighted");
  await page.screenshot({ path: join(shots, "storefront.png") });
});

await check("a price facet changes the grid and the counts", async () => {
  const before = await total();
  const countsBefore = await page.$$eval("#facets .count", (els) => els.map((e) => e.textContent).join(","));
  await page.fill("#max-price", "700");
  await page.click("#apply-price");
  await page.waitForFunction((n) => {
    const t = Number(document.getElementById("status").textContent.replace(/\D/g, ""));
    return t !== n;
  }, before, { timeout: 10000 });
  const after = await total();
  assert(after > 0 && after < before, `total ${before} → ${after}`);
  const prices = await page.$$eval("#grid .price-now", (els) =>
    els.map((e) => Number(e.textContent.replace(/[^\d,]/g, "").replace(",", "."))));
  assert(prices.every((p) => p <= 700), `prices above 700: ${prices}`);
  const countsAfter = await page.$$eval("#facets .count", (els) => els.map((e) => e.textContent).join(","));
  assert(countsAfter !== countsBefore, "facet counts did not change");
  await page.screenshot({ path: join(shots, "storefront-price.png") });
});

await check("a product shows similar products and complete the look", async () => {
  await page.click("#grid .card button.open");
  await page.waitForSelector("dialog#product[open] #product-name");
  await page.waitForFunction(() => document.querySelectorAll("#similar li").length > 0, null, { timeout: 10000 });
  const similar = await page.$$eval("#similar .card .name", (els) => els.length);
  assert(similar > 0, "no similar products");
  await page.waitForFunction(() => document.querySelectorAll("#look li").length > 0, null, { timeout: 10000 });
  await page.screenshot({ path: join(shots, "storefront-product.png") });
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => !document.getElementById("product").open, null, { timeout: 5000 });
});

await check("suggestions work with the keyboard alone", async () => {
  await page.goto(base);
  await rendered("");
  for (let i = 0; i < 6 && (await page.evaluate(() => document.activeElement.id)) !== "q"; i++) {
    await page.keyboard.press("Tab");
  }
  assert((await page.evaluate(() => document.activeElement.id)) === "q", "Tab does not reach the search box");
  await page.keyboard.type("lampe", { delay: 40 });
  await page.waitForSelector("#suggestions:not([hidden]) [role=option]");
  assert((await page.getAttribute("#q", "aria-expanded")) === "true", "aria-expanded not set");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  const active = await page.getAttribute("#q", "aria-activedescendant");
  assert(active === "suggestion-1", `active option ${active}`);
  assert((await page.getAttribute(`#${active}`, "aria-selected")) === "true", "option not selected");
  const text = await page.textContent(`#${active}`);
  await page.keyboard.press("Enter");
  await rendered(text);
  assert((await page.inputValue("#q")) === text, "the chosen suggestion is not in the box");
  assert(await page.isHidden("#suggestions"), "suggestions still open");
  await page.keyboard.type(" x", { delay: 40 });
  await page.waitForSelector("#suggestions:not([hidden])").catch(() => {});
  await page.keyboard.press("Escape");
  assert(await page.isHidden("#suggestions"), "Escape does not close the suggestions");
});

await check("usable at phone width", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base);
  await rendered("");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `horizontal overflow of ${overflow}px`);
  await page.screenshot({ path: join(shots, "storefront-phone.png") });
  await page.setViewportSize({ width: 1280, height: 900 });
});

// Keystroke to rendered results: 50 keystrokes, each given time to render (longer than the
// debounce), measured by the page from the input event to the grid's update.
let timing = null;
await check("keystroke to rendered results, 50 keystrokes", async () => {
  await page.goto(base);
  await rendered("");
  await page.click("#q");
  const words = ["canapé velours", "lampe laiton", "tapis laine", "miroir rond", "table basse"];
  let typed = 0;
  for (const word of words) {
    await page.fill("#q", "");
    for (const ch of word) {
      if (typed === 50) break;
      await page.keyboard.type(ch);
      typed += 1;
      await page.waitForTimeout(260);
    }
  }
  const measured = await page.evaluate(() => window.__vivr);
  const times = measured.timings.slice(-50).sort((a, b) => a - b);
  const answers = measured.answerTimings.slice(-50).sort((a, b) => a - b);
  assert(times.length >= 45, `only ${times.length} keystrokes rendered`);
  const at = (list, q) => list[Math.min(list.length - 1, Math.round((list.length - 1) * q))];
  timing = {
    keystrokes: times.length,
    p50: at(times, 0.5), p90: at(times, 0.9), max: times.at(-1),
    answerP50: at(answers, 0.5), answerP90: at(answers, 0.9),
  };
});

await check("what the store does not sell: « Nous ne vendons pas encore de … » and alternatives", async () => {
  await page.fill("#q", "");
  await page.click("#q");
  await page.keyboard.type("matelas", { delay: 30 });
  await rendered("matelas");
  assert((await names()).length === 0, "hits are shown");
  const status = await page.textContent("#status");
  assert(status.includes("Nous ne vendons pas encore de « matelas » : voici"), status);
  const offered = await page.$$eval("#alternatives .card .name", (els) => els.length);
  assert(offered > 0, "no alternative products");
  const labels = await page.$$eval("#alternatives .alternative-label", (els) => els.map((e) => e.textContent));
  assert(labels.every((l) => l === "Populaire"), `labels: ${labels.join(",")}`);
  const categories = await page.$$eval("#alternatives button[data-kind=category]", (els) => els.length);
  assert(categories > 0, "no close category offered");
  await page.screenshot({ path: join(shots, "storefront-not-sold.png") });
});

await check("nothing is loaded from elsewhere, no script errors", async () => {
  assert(foreign.length === 0, `external requests: ${foreign.join(", ")}`);
  assert(pageErrors.length === 0, `page errors: ${pageErrors.join(" | ")}`);
});

await context.close();
rmSync(profile, { recursive: true, force: true });
if (timing) {
  console.log(
    `keystroke → rendered results over ${timing.keystrokes} keystrokes: p50 ${timing.p50.toFixed(1)} ms, ` +
      `p90 ${timing.p90.toFixed(1)} ms, max ${timing.max.toFixed(1)} ms (debounce 150 ms included); ` +
      `request sent → rendered: p50 ${timing.answerP50.toFixed(1)} ms, p90 ${timing.answerP90.toFixed(1)} ms`,
  );
}
if (failures.length) {
  console.log(`${failures.length} storefront test(s) failed`);
  process.exit(1);
}
