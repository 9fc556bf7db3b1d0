// A real MCP client (the official TypeScript SDK) against vivr-search, over streamable HTTP
// or stdio: lists tools, calls search_products with a French typo query and validates its
// structuredContent against the tool's outputSchema, reads a resource, gets a prompt.
//
//   node client.mjs http <url>
//   node client.mjs stdio <vivr-search binary> <catalog.db> <index dir>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import Ajv2020 from "ajv/dist/2020.js";

const [mode, ...rest] = process.argv.slice(2);
const transport =
  mode === "http"
    ? new StreamableHTTPClientTransport(new URL(rest[0]))
    : new StdioClientTransport({
        command: rest[0],
        args: ["--db", rest[1], "--index-dir", rest[2], "mcp"],
        env: { ...process.env, RUST_LOG: "warn" },
        stderr: "inherit",
      });

function check(condition, message) {
  if (!condition) {
    console.error(`FAIL (${mode}): ${message}`);
    process.exit(1);
  }
}

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
