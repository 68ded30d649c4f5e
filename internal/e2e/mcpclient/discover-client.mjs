// Drives sfmcp's resources, completions, prompts and guarded tools with the
// official TypeScript SDK client, for internal/e2e/discover_test.go. Usage:
//   node discover-client.mjs stdio <command> [args...]
//   node discover-client.mjs http <url>          (headers as JSON in MCP_HEADERS)
// The steps (JSON on stdin) are {op, ...params}; op is one of listResources,
// listResourceTemplates, readResource {uri}, complete {ref, argument, context},
// listPrompts, getPrompt {name, arguments}, callTool {name, arguments}.
// Prints one JSON list: per step {op, result} or {op, error: {code, message}}.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { readFileSync } from "node:fs";

const [mode, target, ...rest] = process.argv.slice(2);
const steps = JSON.parse(readFileSync(0, "utf8") || "[]");
let transport;
if (mode === "stdio") {
  transport = new StdioClientTransport({ command: target, args: rest, env: process.env, stderr: "inherit" });
} else if (mode === "http") {
  const headers = JSON.parse(process.env.MCP_HEADERS || "{}");
  transport = new StreamableHTTPClientTransport(new URL(target), { requestInit: { headers } });
} else {
  console.error("usage: discover-client.mjs stdio|http <target>");
  process.exit(2);
}
const client = new Client({ name: "sfmcp-e2e-discover", version: "1.0.0" });
await client.connect(transport);
const out = [];
for (const s of steps) {
  const r = { op: s.op };
  try {
    switch (s.op) {
      case "listResources": r.result = await client.listResources(); break;
      case "listResourceTemplates": r.result = await client.listResourceTemplates(); break;
      case "readResource": r.result = await client.readResource({ uri: s.uri }); break;
      case "complete": r.result = await client.complete({ ref: s.ref, argument: s.argument, context: s.context }); break;
      case "listPrompts": r.result = await client.listPrompts(); break;
      case "getPrompt": r.result = await client.getPrompt({ name: s.name, arguments: s.arguments }); break;
      case "callTool": r.result = await client.callTool({ name: s.name, arguments: s.arguments }); break;
      default: throw new Error("unknown op " + s.op);
    }
  } catch (e) {
    r.error = { code: e?.code ?? null, message: String(e?.message ?? e) };
  }
  out.push(r);
}
await client.close();
process.stdout.write(JSON.stringify(out) + "\n");
