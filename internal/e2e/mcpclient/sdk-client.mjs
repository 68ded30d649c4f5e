// Drives an MCP server with the official TypeScript SDK client, for
// internal/e2e/mcp_test.go. Usage:
//   node sdk-client.mjs stdio <command> [args...]
//   node sdk-client.mjs http <url>          (headers as JSON in MCP_HEADERS)
// The plan (JSON on stdin) is an ordered list of calls {name, args, expect};
// "$ID" in args becomes the id the first successful call returned. After the
// plan, every tool not in it is called with no arguments. Tools are those
// tools/list shows plus those the discovery tool salesforce_tools gives.
// Prints one JSON object: serverInfo, listed (names), tools, results.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { readFileSync } from "node:fs";

const [mode, target, ...rest] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(0, "utf8") || "[]");

let transport;
if (mode === "stdio") {
  transport = new StdioClientTransport({ command: target, args: rest, env: process.env, stderr: "inherit" });
} else if (mode === "http") {
  const headers = JSON.parse(process.env.MCP_HEADERS || "{}");
  transport = new StreamableHTTPClientTransport(new URL(target), { requestInit: { headers } });
} else {
  console.error("usage: sdk-client.mjs stdio|http <target>");
  process.exit(2);
}

const client = new Client({ name: "sfmcp-e2e", version: "1.0.0" });
await client.connect(transport);
const serverInfo = client.getServerVersion();
const listed = (await client.listTools()).tools;
// Tools the listing leaves out come from the discovery tool, by toolset.
const tools = [...listed];
if (listed.some((t) => t.name === "salesforce_tools")) {
  const idx = await client.callTool({ name: "salesforce_tools", arguments: {} });
  for (const ts of idx.structuredContent.toolsets.filter((s) => !s.listed)) {
    const defs = await client.callTool({ name: "salesforce_tools", arguments: { toolset: ts.name } });
    tools.push(...defs.structuredContent.tools);
  }
}

let id = "";
const substitute = (v) => JSON.parse(JSON.stringify(v ?? {}).replaceAll("$ID", id));
const results = [];
async function call(name, args, expect) {
  const r = { name, args, expect };
  try {
    const res = await client.callTool({ name, arguments: args });
    r.isError = !!res.isError;
    r.text = (res.content ?? []).map((c) => c.text ?? "").join("\n");
    // Errors carry their JSON (with the correlation_id) on the text's last line.
    r.structured = res.structuredContent ?? (r.isError ? JSON.parse(r.text.slice(r.text.lastIndexOf("\n") + 1)) : null);
    if (!id && !r.isError && typeof r.structured?.id === "string") id = r.structured.id;
  } catch (e) {
    r.protocolError = String(e?.message ?? e);
  }
  results.push(r);
}
for (const step of plan) await call(step.name, substitute(step.args), step.expect);
const planned = new Set(plan.map((s) => s.name));
for (const t of tools) if (!planned.has(t.name)) await call(t.name, {}, "any");

await client.close();
process.stdout.write(JSON.stringify({ serverInfo, listed: listed.map((t) => t.name), tools, results }) + "\n");
