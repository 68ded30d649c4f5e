// Drives sfmcp's MCP 2026-07-28 Tasks extension (io.modelcontextprotocol/tasks)
// for internal/e2e/exttasks_test.go with independent, unmodified clients: the
// TypeScript SDK v2 client (@modelcontextprotocol/client), connected at
// protocol 2026-07-28, and the extension's own requester library
// (@modelcontextprotocol/ext-tasks), which declares the extension on its
// requests, takes the CreateTaskResult, polls tasks/get and cancels.
//
// The library sends task traffic through a host-owned raw dispatcher (its
// documented V2 path: the SDK client's own codecs do not know the
// extension's shapes); here that is a small request/response matcher on the
// SDK transport the client connected with, so every message still goes
// through the SDK's stdio or Streamable HTTP transport.
//
// Usage:
//   node exttasks.mjs stdio <command> [args...]
//   node exttasks.mjs http <url>          (headers as JSON in MCP_HEADERS)
// The plan (a JSON file named by EXTTASKS_PLAN) is a list of steps:
//   {"op":"task","name":..,"args":..,"answer":"accept"|"decline"?}
//       callTool, then settle: how it was run (kind), the task id, the
//       outcome and the tool's result. A question to the user (an
//       elicitation the server sends before it runs a destructive call) is
//       answered with answer (accept: {confirm: true}) and recorded.
//   {"op":"cancel","name":..,"args":..}
//       callTool; waits for the file EXTTASKS_CANCEL_WHEN names (when set),
//       cancels, then polls tasks/get until the task ends, then waits for
//       the file EXTTASKS_ENDED_WHEN names (when set).
//   {"op":"start","name":..,"args":..}
//       callTool, then hands the task off (its serialized reference, for
//       another client process to resume) without waiting for it.
//   {"op":"resume","reference":..}
//       resumeTask from a reference another process handed off, then
//       settle, as "task" does.
//   {"op":"get","taskId":..} / {"op":"cancelId","taskId":..}
//       tasks/get or tasks/cancel of a task id: its status, or the error.
// Prints one JSON object: protocolEra, serverCapabilities and steps.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { createTaskSessionFromClient } from "@modelcontextprotocol/ext-tasks/client";
import { existsSync, readFileSync } from "node:fs";

const PROTOCOL = "2026-07-28";
const [mode, target, ...rest] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(process.env.EXTTASKS_PLAN, "utf8"));

let transport;
if (mode === "stdio") {
  transport = new StdioClientTransport({ command: target, args: rest, env: process.env, stderr: "inherit" });
} else if (mode === "http") {
  const headers = JSON.parse(process.env.MCP_HEADERS || "{}");
  transport = new StreamableHTTPClientTransport(new URL(target), { requestInit: { headers } });
} else {
  console.error("usage: exttasks.mjs stdio|http <target>");
  process.exit(2);
}

const clientInfo = { name: "sfmcp-e2e-exttasks", version: "1.0.0" };
// The client can ask its user (elicitation): destructive calls ask first.
const clientCapabilities = { elicitation: {} };
const client = new Client(clientInfo, { capabilities: clientCapabilities, versionNegotiation: { mode: { pin: PROTOCOL } } });
await client.connect(transport);

// The host's raw dispatcher: sends a request on the client's transport with
// an id of its own and hands back the response with that id; every other
// message goes on to the SDK client as before.
const pending = new Map();
let nextId = 0;
const sdkOnMessage = transport.onmessage;
transport.onmessage = (message, extra) => {
  if (message && message.id !== undefined && !("method" in message) && pending.has(message.id)) {
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    resolve("error" in message ? { kind: "error", error: message.error } : { kind: "result", result: message.result });
    return;
  }
  sdkOnMessage?.call(transport, message, extra);
};
const rawDispatch = (request, options = {}) =>
  new Promise((resolve, reject) => {
    const id = `exttasks-${++nextId}`;
    pending.set(id, resolve);
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) {
        pending.delete(id);
        reject(signal.reason);
        return;
      }
      signal.addEventListener("abort", () => {
        pending.delete(id);
        reject(signal.reason);
      }, { once: true });
    }
    transport.send({ ...request, jsonrpc: "2.0", id }).catch((e) => {
      pending.delete(id);
      reject(e);
    });
  });

// The current step's answer to questions, and the questions asked.
let answer = "decline";
let asked = [];
const session = createTaskSessionFromClient(client, {
  endpointId: "sfmcp-e2e",
  rawDispatch,
  v2RequestFraming: { protocolVersion: PROTOCOL, clientInfo, clientCapabilities },
  onInputRequest: async (request, context) => {
    asked.push({ kind: request.kind, message: request.params?.message ?? "", scope: context.scope });
    return answer === "accept" ? { action: "accept", content: { confirm: true } } : { action: answer };
  },
});

const resultOf = (res) => ({
  isError: !!res?.isError,
  text: (res?.content ?? []).map((c) => c.text ?? "").join("\n"),
  structured: res?.structuredContent ?? null,
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const waitFile = async (f) => {
  if (!f) return;
  for (let i = 0; i < 6000 && !existsSync(f); i++) await sleep(10);
};
const errorOf = (e) => ({ message: String(e?.message ?? e), code: e?.code ?? null });

const steps = [];
for (const step of plan) {
  const out = { op: step.op, name: step.name };
  answer = step.answer ?? "decline";
  asked = [];
  try {
    if (step.op === "task") {
      const execution = await session.callTool(step.name, step.args, { requestTimeoutMs: 120000 });
      out.kind = execution.kind;
      out.taskId = execution.handle?.taskId ?? null;
      const { outcome, lastTask } = await execution.settle();
      out.outcome = outcome.status;
      out.lastStatus = lastTask?.status ?? null;
      if (outcome.status === "completed") out.result = resultOf(outcome.result);
      if (outcome.status === "failed") out.error = errorOf(outcome.error);
    } else if (step.op === "cancel") {
      const execution = await session.callTool(step.name, step.args, { requestTimeoutMs: 120000 });
      out.kind = execution.kind;
      out.taskId = execution.handle?.taskId ?? null;
      const task = session.task(out.taskId);
      out.created = (await task.snapshot()).status;
      // The test says when the task's Bulk job runs (a file appears), so the
      // cancel lands while the job is waited for.
      await waitFile(process.env.EXTTASKS_CANCEL_WHEN);
      await execution.cancel();
      out.statuses = [];
      for (let i = 0; i < 600; i++) {
        const v = await task.snapshot();
        out.statuses.push(v.status);
        out.final = v.status;
        out.statusMessage = v.statusMessage ?? null;
        if (["completed", "failed", "cancelled"].includes(v.status)) break;
        await sleep(50);
      }
      // The server (a stdio child) stays until the job has ended.
      await waitFile(process.env.EXTTASKS_ENDED_WHEN);
    } else if (step.op === "start") {
      const execution = await session.callTool(step.name, step.args, { requestTimeoutMs: 120000 });
      out.kind = execution.kind;
      out.taskId = execution.handle?.taskId ?? null;
      if (execution.kind === "task") await execution.handoff((reference) => { out.reference = reference; });
    } else if (step.op === "resume") {
      const execution = await session.resumeTask(step.reference, { requestTimeoutMs: 120000 });
      out.kind = execution.kind;
      out.taskId = execution.handle?.taskId ?? null;
      const { outcome, lastTask } = await execution.settle();
      out.outcome = outcome.status;
      out.lastStatus = lastTask?.status ?? null;
      if (outcome.status === "completed") out.result = resultOf(outcome.result);
      if (outcome.status === "failed") out.error = errorOf(outcome.error);
    } else if (step.op === "get") {
      out.status = (await session.task(step.taskId).snapshot()).status;
    } else if (step.op === "cancelId") {
      await session.task(step.taskId).cancel();
      out.status = "acknowledged";
    }
  } catch (e) {
    out.error = errorOf(e);
  }
  out.asked = asked;
  steps.push(out);
}
const report = { protocolEra: client.getProtocolEra(), serverCapabilities: client.getServerCapabilities(), steps };
await session.close();
await client.close();
process.stdout.write(JSON.stringify(report) + "\n");
