// Drives sfmcp's long work with the official TypeScript SDK client, for
// internal/e2e/longwork_test.go: progress notifications and tasks. Usage:
//   node longwork.mjs stdio <command> [args...]
//   node longwork.mjs http <url>          (headers as JSON in MCP_HEADERS)
// The plan (a JSON file named by LONGWORK_PLAN) is a list of steps, run in order:
//   {"op":"call","name":..,"args":..,"progress":true|false}
//       a plain tools/call; with progress, an onprogress handler (the SDK
//       then sends a progressToken). Every notifications/progress the client
//       receives during the step is recorded, whether asked for or not.
//   {"op":"task","name":..,"args":..}
//       a task-augmented tools/call (callToolStream): the messages it yields.
//   {"op":"cancel","name":..,"args":..,"waitFor":"<sql>"?}
//       creates the task, waits until tasks/get says working (and until the
//       file LONGWORK_CANCEL_WHEN names exists, when set), cancels it,
//       then polls tasks/get until the task ends (and waits for the file
//       LONGWORK_ENDED_WHEN names, when set).
// Prints one JSON object: serverCapabilities and steps (what each did).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, CreateTaskResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { existsSync, readFileSync } from "node:fs";

const [mode, target, ...rest] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(process.env.LONGWORK_PLAN, "utf8"));

let transport;
if (mode === "stdio") {
  transport = new StdioClientTransport({ command: target, args: rest, env: process.env, stderr: "inherit" });
} else if (mode === "http") {
  const headers = JSON.parse(process.env.MCP_HEADERS || "{}");
  transport = new StreamableHTTPClientTransport(new URL(target), { requestInit: { headers } });
} else {
  console.error("usage: longwork.mjs stdio|http <target>");
  process.exit(2);
}

const client = new Client({ name: "sfmcp-e2e-longwork", version: "1.0.0" }, { capabilities: { tasks: { list: {}, cancel: {} } } });
// Every progress notification, including any the client did not ask for.
let seen = [];
client.fallbackNotificationHandler = async (n) => {
  if (n.method === "notifications/progress") seen.push({ unasked: true, ...n.params });
};
await client.connect(transport);

const resultOf = (res) => ({
  isError: !!res.isError,
  text: (res.content ?? []).map((c) => c.text ?? "").join("\n"),
  structured: res.structuredContent ?? null,
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const steps = [];
for (const step of plan) {
  seen = [];
  const out = { op: step.op, name: step.name };
  try {
    if (step.op === "call") {
      const opts = { timeout: 120000 };
      if (step.progress) opts.onprogress = (p) => seen.push(p);
      out.result = resultOf(await client.callTool({ name: step.name, arguments: step.args }, CallToolResultSchema, opts));
    } else if (step.op === "task") {
      out.messages = [];
      for await (const m of client.experimental.tasks.callToolStream({ name: step.name, arguments: step.args }, CallToolResultSchema, { task: {}, timeout: 120000 })) {
        if (m.type === "result") out.messages.push({ type: m.type, result: resultOf(m.result) });
        else if (m.type === "error") out.messages.push({ type: m.type, error: String(m.error?.message ?? m.error) });
        else out.messages.push({ type: m.type, status: m.task?.status, taskId: m.task?.taskId });
      }
    } else if (step.op === "cancel") {
      const created = await client.request({ method: "tools/call", params: { name: step.name, arguments: step.args, task: {} } }, CreateTaskResultSchema);
      const id = created.task.taskId;
      out.created = created.task.status;
      out.statuses = [];
      for (let i = 0; i < 200; i++) {
        const t = await client.experimental.tasks.getTask(id);
        out.statuses.push(t.status);
        if (t.status !== "working" || i >= 3) break;
        await sleep(50);
      }
      // The test says when the task's Bulk job runs (a file appears), so the
      // cancel lands while it is being waited for.
      if (process.env.LONGWORK_CANCEL_WHEN) {
        for (let i = 0; i < 6000 && !existsSync(process.env.LONGWORK_CANCEL_WHEN); i++) await sleep(10);
      }
      const c = await client.experimental.tasks.cancelTask(id);
      out.cancelled = c.status;
      for (let i = 0; i < 400; i++) {
        const t = await client.experimental.tasks.getTask(id);
        out.final = t.status;
        out.statusMessage = t.statusMessage;
        if (["completed", "failed", "cancelled"].includes(t.status)) break;
        await sleep(50);
      }
      // tasks/cancel answers at once; the server aborts the job after. The
      // test says when the job has ended (a file appears), so the server
      // (a stdio child) is not closed before.
      if (process.env.LONGWORK_ENDED_WHEN) {
        for (let i = 0; i < 6000 && !existsSync(process.env.LONGWORK_ENDED_WHEN); i++) await sleep(10);
      }
    }
  } catch (e) {
    out.error = String(e?.message ?? e);
  }
  out.progress = seen;
  steps.push(out);
}
await client.close();
process.stdout.write(JSON.stringify({ serverCapabilities: client.getServerCapabilities(), steps }) + "\n");
