// Measures the context an agent pays: the compact JSON of tools/list and of
// one 200-row, 3-field query result, in bytes and in tokens (o200k_base,
// the GPT-4o tokenizer of gpt-tokenizer; Claude's tokenizer is not public).
// Usage (see BENCHMARKS.md):
//   node measure.mjs <sfmcp binary> [--sfmcp-only]
// (--sfmcp-only measures sfmcp alone; then only @modelcontextprotocol/sdk and
// gpt-tokenizer need to be installed.)
// run in a directory where `npm install` of this package.json was done.
// Every server is driven over stdio by the official TypeScript SDK client.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sfmcp = process.argv[2];
if (!sfmcp) {
  console.error("usage: node measure.mjs <sfmcp binary>");
  process.exit(2);
}
const SOQL = "SELECT Id, Name, Industry FROM Account ORDER BY Name";
const rows = [];
const size = (label, value) => {
  console.error("measured:", label);
  const s = typeof value === "string" ? value : JSON.stringify(value);
  rows.push({ label, bytes: Buffer.byteLength(s), tokens: encode(s).length });
};

async function connect(command, args, env) {
  const transport = new StdioClientTransport({ command, args, env: { ...process.env, ...env }, stderr: process.env.COST_DEBUG ? "inherit" : "ignore" });
  const client = new Client({ name: "context-cost", version: "1.0.0" });
  await client.connect(transport, { timeout: 300000 });
  return client;
}

// sfmcp against its built-in emulator org (250 accounts).
const home = mkdtempSync(join(tmpdir(), "sfmcp-cost-"));
const env = { HOME: home, XDG_CONFIG_HOME: home, SFMCP_CONFIG_DIR: home };
let c = await connect(sfmcp, ["serve", "--emulator"], env);
size("sfmcp tools/list (default listing)", await c.listTools({}, { timeout: 300000 }));
const q = await c.callTool({ name: "salesforce_query", arguments: { soql: SOQL, max_records: 200 } });
if (q.isError || q.structuredContent?.returned !== 200) throw new Error("sfmcp query: " + JSON.stringify(q).slice(0, 300));
size("sfmcp salesforce_query 200 rows: whole result", q);
size("sfmcp salesforce_query 200 rows: text only", q.content.map((x) => x.text).join(""));
size("sfmcp salesforce_query 200 rows: structuredContent only", q.structuredContent);
const withAttrs = await c.callTool({ name: "salesforce_query", arguments: { soql: SOQL, max_records: 200, attributes: true, record_format: "objects" } });
const records = withAttrs.structuredContent.records; // as Salesforce sent them
await c.close();
c = await connect(sfmcp, ["serve", "--emulator", "--toolsets", "all"], env);
size("sfmcp tools/list (--toolsets all)", await c.listTools({}, { timeout: 300000 }));
await c.close();

if (process.argv[3] === "--sfmcp-only") {
  for (const r of rows) console.log(`${String(r.bytes).padStart(7)} bytes ${String(r.tokens).padStart(6)} tokens  ${r.label}`);
  process.exit(0);
}

// tsmztech/mcp-server-salesforce: tools/list needs no org. Its query result
// is measured by running its own query handler on the same 200 records.
c = await connect(process.execPath, [join("node_modules", "@tsmztech", "mcp-server-salesforce", "dist", "index.js")],
  { SALESFORCE_USERNAME: "nobody@example.com", SALESFORCE_PASSWORD: "x", SALESFORCE_INSTANCE_URL: "https://127.0.0.1:9" });
size("@tsmztech/mcp-server-salesforce 0.0.6 tools/list", await c.listTools({}, { timeout: 300000 }));
await c.close();
const { handleQueryRecords } = await import("@tsmztech/mcp-server-salesforce/dist/tools/query.js");
const fakeConn = {
  describe: async () => ({ fields: [{ name: "Id" }, { name: "Name" }, { name: "Industry" }] }),
  query: async () => ({ totalSize: records.length, done: true, records }),
};
const tq = await handleQueryRecords(fakeConn, { objectName: "Account", fields: ["Id", "Name", "Industry"], limit: 200 });
size("@tsmztech/mcp-server-salesforce salesforce_query_records 200 rows: whole result", tq);

// @salesforce/mcp: every toolset, no org needed to list.
c = await connect(process.execPath, [join("node_modules", "@salesforce", "mcp", "bin", "run.js"), "--orgs", "DEFAULT_TARGET_ORG", "--toolsets", "all", "--no-telemetry"], { HOME: home });
size("@salesforce/mcp 0.30.15 tools/list (--toolsets all)", await c.listTools({}, { timeout: 300000 }));
await c.close();
c = await connect(process.execPath, [join("node_modules", "@salesforce", "mcp", "bin", "run.js"), "--orgs", "DEFAULT_TARGET_ORG", "--toolsets", "data", "--no-telemetry"], { HOME: home });
size("@salesforce/mcp 0.30.15 tools/list (--toolsets data)", await c.listTools({}, { timeout: 300000 }));
await c.close();
c = await connect(process.execPath, [join("node_modules", "@salesforce", "mcp", "bin", "run.js"), "--orgs", "DEFAULT_TARGET_ORG", "--dynamic-tools", "--no-telemetry"], { HOME: home });
size("@salesforce/mcp 0.30.15 tools/list (--dynamic-tools)", await c.listTools({}, { timeout: 300000 }));
await c.close();

for (const r of rows) console.log(`${String(r.bytes).padStart(7)} bytes ${String(r.tokens).padStart(6)} tokens  ${r.label}`);
