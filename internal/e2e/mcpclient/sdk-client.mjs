// Drives an MCP server with the official TypeScript SDK client, for
// internal/e2e/mcp_test.go. Usage:
//   node sdk-client.mjs stdio <command> [args...]
//   node sdk-client.mjs http <url>          (headers as JSON in MCP_HEADERS)
// The plan (JSON on stdin) is an ordered list of calls {name, args, expect,
// save}. save maps a variable to a dotted path in a successful call's
// structured result ("records.0.Id"); a later call's args use it as "$NAME":
// a string that is only "$NAME" becomes the saved value (of any JSON type),
// and "$NAME" inside a longer string is replaced by its text. "$ID" is also
// the id the first successful call returned. Tools are those tools/list
// shows plus those the discovery tool salesforce_tools gives; tools the plan
// never calls are named in "unplanned" and not called at all.
// Prints one JSON object: serverInfo, listed (names), tools, results (one per
// plan step, in order), vars (the values saved), unplanned.
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

const vars = {};
const pick = (v, path) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), v);
function substitute(v) {
  if (typeof v === "string") {
    const whole = /^\$([A-Z][A-Z0-9_]*)$/.exec(v);
    if (whole && whole[1] in vars) return vars[whole[1]];
    // Longest names first, so $ID does not eat the start of $IDS.
    for (const k of Object.keys(vars).sort((a, b) => b.length - a.length)) v = v.replaceAll("$" + k, String(vars[k]));
    return v;
  }
  if (Array.isArray(v)) return v.map(substitute);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x)]));
  return v;
}
const results = [];
async function call(step) {
  const args = substitute(step.args ?? {});
  const r = { name: step.name, args, expect: step.expect };
  try {
    const res = await client.callTool({ name: step.name, arguments: args });
    r.isError = !!res.isError;
    r.text = (res.content ?? []).map((c) => c.text ?? "").join("\n");
    // Errors carry their JSON (with the correlation_id) on the text's last line.
    r.structured = res.structuredContent ?? (r.isError ? JSON.parse(r.text.slice(r.text.lastIndexOf("\n") + 1)) : null);
    if (!r.isError) {
      if (!("ID" in vars) && typeof r.structured?.id === "string") vars.ID = r.structured.id;
      for (const [k, path] of Object.entries(step.save ?? {})) {
        const got = pick(r.structured, path);
        if (got === undefined) r.saveError = `${path} is not in the result`;
        else vars[k] = got;
      }
    }
  } catch (e) {
    r.protocolError = String(e?.message ?? e);
  }
  results.push(r);
}
for (const step of plan) await call(step);
const planned = new Set(plan.map((s) => s.name));
const unplanned = tools.map((t) => t.name).filter((n) => !planned.has(n));

await client.close();
process.stdout.write(JSON.stringify({ serverInfo, listed: listed.map((t) => t.name), tools, results, vars, unplanned }) + "\n");
