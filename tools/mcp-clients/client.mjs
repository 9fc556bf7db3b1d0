// A real MCP client (the official TypeScript SDK) against vivr-search, over streamable HTTP
// or stdio: lists tools, calls search_products with a French typo query and validates its
// structuredContent against the tool's outputSchema, reads a resource, gets a prompt. In `auth`
// mode, against the order and support servers with access tokens signed by the shared HS256
// secret: what anonymous, customer and staff callers are listed, and that customer A cannot
// read customer B's order (the same answer as an order that does not exist).
//
//   node client.mjs http <url>
//   node client.mjs stdio <vivr-search binary> <catalog.db> <index dir>
//   node client.mjs auth <server base url> <hs256 secret> <issuer>
import { createHmac } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import Ajv2020 from "ajv/dist/2020.js";

const [mode, ...rest] = process.argv.slice(2);

function check(condition, message) {
  if (!condition) {
    console.error(`FAIL (${mode}): ${message}`);
    process.exit(1);
  }
}

if (mode === "auth") {
  await checkAuthorization(...rest);
  process.exit(0);
}

/// An HS256 JWT for `sub` with `scope`, valid five minutes, for the resource `audience`.
function token(secret, issuer, audience, sub, scope) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub, scope, iss: issuer, aud: audience, exp: now + 300, nbf: now - 5 })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

async function connected(url, bearer) {
  const options = bearer ? { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } } : {};
  const client = new Client({ name: "vivr-check-auth", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), options));
  return client;
}

async function toolNames(client) {
  return (await client.listTools()).tools.map((t) => t.name);
}

async function checkAuthorization(base, secret, issuer) {
  const url = `${base}/mcp`;
  const mint = (sub, scope, audience = url) => token(secret, issuer, audience, sub, scope);
  const anonymous = await connected(url);
  const publicTools = await toolNames(anonymous);
  check(
    JSON.stringify(publicTools) ===
      JSON.stringify(["search_products", "get_product_details", "get_similar_products", "check_stock_availability",
        "get_category_products", "get_recommendations", "search_faq", "get_return_policy"]),
    `anonymous callers see the public tools only: ${publicTools}`,
  );
  const faq = await anonymous.callTool({ name: "search_faq", arguments: { query: "payer en plusieurs fois" } });
  check(!faq.isError && faq.structuredContent.answers.length > 0, "search_faq answers anonymously");
  await anonymous.close();

  const staff = await connected(url, mint("staff_1", "orders:read:all support:write analytics:read"));
  const staffTools = await toolNames(staff);
  check(staffTools.length === 24 && staffTools.includes("search_orders") && staffTools.includes("get_revenue_forecast") && staffTools.includes("find_order_for_support"),
    `a staff token sees every tool: ${staffTools}`);
  // Two orders of two different customers, found by staff.
  const page = await staff.callTool({ name: "search_orders", arguments: { status: "DELIVERED", limit: 50 } });
  check(!page.isError, `search_orders: ${JSON.stringify(page.content)}`);
  const first = page.structuredContent.orders[0];
  const other = page.structuredContent.orders.find((o) => o.userId !== first.userId);
  check(first && other, "two customers' orders");
  await staff.close();

  // Customer A, on the per-server URL with a token minted for it.
  const ordersUrl = `${base}/mcp/orders`;
  const alice = await connected(ordersUrl, mint(first.userId, "orders:read support:write", ordersUrl));
  const aliceTools = await toolNames(alice);
  check(!aliceTools.includes("search_orders") && aliceTools.includes("get_order_status"), `a customer's tools: ${aliceTools}`);
  const own = await alice.callTool({ name: "get_order_status", arguments: { orderNumber: first.orderNumber } });
  check(!own.isError && own.structuredContent.orderNumber === first.orderNumber, "customer A reads A's order");
  const theirs = await alice.callTool({ name: "get_order_status", arguments: { orderNumber: other.orderNumber } });
  const unknown = await alice.callTool({ name: "get_order_status", arguments: { orderNumber: "ORD-ZZZZZZZZ" } });
  check(theirs.isError && unknown.isError, "B's order and an unknown order are tool errors");
  check(JSON.stringify(theirs.content) === JSON.stringify(unknown.content), `B's order looks unknown: ${JSON.stringify(theirs.content)}`);
  const list = await alice.callTool({ name: "get_user_orders", arguments: {} });
  check(list.structuredContent.orders.every((o) => o.orderNumber !== other.orderNumber), "A's list holds A's orders only");
  let refused = false;
  try {
    await alice.callTool({ name: "search_orders", arguments: {} });
  } catch (e) {
    refused = /403|insufficient_scope/.test(String(e));
  }
  check(refused, "a customer calling a staff tool is refused (403)");
  await alice.close();
  console.log(`ok (auth): anonymous ${publicTools.length} tools, staff ${staffTools.length}, customer ${aliceTools.length}; another customer's order answered as an unknown one`);
}

const transport =
  mode === "http"
    ? new StreamableHTTPClientTransport(new URL(rest[0]))
    : new StdioClientTransport({
        command: rest[0],
        args: ["--db", rest[1], "--index-dir", rest[2], "mcp"],
        env: { ...process.env, RUST_LOG: "warn" },
        stderr: "inherit",
      });

const client = new Client({ name: "vivr-check", version: "1.0.0" });
await client.connect(transport);

const { tools } = await client.listTools();
const names = tools.map((t) => t.name);
check(names[0] === "search_products", `tools listed: ${names.join(", ")}`);
const search = tools.find((t) => t.name === "search_products");
check(search.outputSchema && search.annotations?.readOnlyHint === true, "search_products has an outputSchema and readOnlyHint");

// "canpé" (a missing letter) and "velour" (a missing s): the engine must still find sofas.
const result = await client.callTool({ name: "search_products", arguments: { query: "canpé velour", limit: 5 } });
check(!result.isError, `search_products failed: ${JSON.stringify(result.content)}`);
const validate = new Ajv2020({ strict: false, logger: false }).compile(search.outputSchema);
check(validate(result.structuredContent), `structuredContent fails the outputSchema: ${JSON.stringify(validate.errors)}`);
const products = result.structuredContent.products;
check(products.length > 0 && products.every((p) => p.category.slug === "canapes"), `sofas expected: ${products.map((p) => p.name)}`);
check(JSON.stringify(JSON.parse(result.content[0].text)) === JSON.stringify(result.structuredContent), "text content is the same JSON");

const bad = await client.callTool({ name: "search_products", arguments: { limit: "beaucoup" } });
check(bad.isError === true, "a bad argument is a tool error");

const resource = await client.readResource({ uri: "vivr://products/categories" });
const tree = JSON.parse(resource.contents[0].text);
check(Array.isArray(tree) && tree.length > 0 && resource.contents[0].mimeType === "application/json", "the category tree");

const prompt = await client.getPrompt({ name: "search_assistant", arguments: { need: "un tapis doux pour la chambre" } });
check(prompt.messages[0].content.text.includes("un tapis doux pour la chambre"), "the prompt carries the need");

const completion = await client.complete({
  ref: { type: "ref/prompt", name: "search_assistant" },
  argument: { name: "category", value: "lu" },
});
check(completion.completion.values.includes("luminaires"), `completion: ${completion.completion.values}`);

await client.close();
console.log(`ok (${mode}): ${names.length} tools, ${products.length} sofas for "canpé velour" (first: ${products[0].name}), structuredContent valid, resource, prompt and completion read`);
