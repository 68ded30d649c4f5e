// Drives sfmcp's OAuth proxy mode with the official TypeScript SDK's client
// auth, for internal/e2e/oauth_proxy_test.go. Usage:
//   node oauth-flow.mjs <mcp url>
// Environment: AUTH_METHOD (token_endpoint_auth_method to register with,
// default none), EMULATOR_URL (its admin levers expire Salesforce sessions).
// The SDK discovers, registers, starts the authorization with PKCE and
// exchanges the code; a scripted "browser" here plays the user: it opens the
// authorization URL, submits the consent form, follows Salesforce (the
// emulator, which approves at once) back to /auth/callback and captures the
// redirect to this client. Prints one JSON object describing each step.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { randomBytes } from "node:crypto";

const [mcpUrl] = process.argv.slice(2);
const redirectUrl = "http://127.0.0.1:43117/oauth/callback"; // never listened on: the browser stops before it
const out = { steps: [] };
const step = (name, data = {}) => out.steps.push({ name, ...data });

class Provider {
  constructor() {
    this.expectedState = "";
    this.saved = [];
  }
  get redirectUrl() {
    return redirectUrl;
  }
  get clientMetadata() {
    return {
      client_name: "sfmcp e2e <script>",
      redirect_uris: [redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: process.env.AUTH_METHOD || "none",
    };
  }
  state() {
    this.expectedState = randomBytes(16).toString("hex");
    return this.expectedState;
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info) {
    this.client = info;
  }
  tokens() {
    return this.tok;
  }
  saveTokens(t) {
    this.tok = t;
    this.saved.push({ access_token: t.access_token, refresh_token: t.refresh_token });
  }
  redirectToAuthorization(url) {
    this.authUrl = url;
  }
  saveCodeVerifier(v) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope) {
    if (scope === "all" || scope === "tokens") this.tok = undefined;
    if (scope === "all" || scope === "client") this.client = undefined;
    if (scope === "all" || scope === "verifier") this.verifier = undefined;
    if (scope === "all" || scope === "discovery") this.discovery = undefined;
  }
  saveDiscoveryState(s) {
    this.discovery = s;
  }
  discoveryState() {
    return this.discovery;
  }
}

// browser follows redirects by hand (keeping sfmcp's consent cookie) until
// one points at this client's redirect URI.
async function browser(authUrl) {
  const trail = [];
  let cookie = "";
  let current = authUrl.href;
  const go = async (url, init = {}) => {
    current = url;
    const headers = { ...(init.headers ?? {}) };
    if (cookie && new URL(url).origin === new URL(mcpUrl).origin) headers.cookie = cookie;
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    const set = res.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0];
    trail.push({ url: url.replace(/([?&](code|state|code_challenge)=)[^&]+/g, "$1…"), status: res.status });
    return res;
  };
  let res = await go(authUrl.href);
  const page = await res.text();
  if (res.status !== 200) throw new Error(`authorize: ${res.status} ${page.slice(0, 300)}`);
  const id = page.match(/name="consent_id" value="([^"]+)"/)?.[1];
  const action = page.match(/<form method="post" action="([^"]+)"/)?.[1];
  if (!id || !action) throw new Error("no consent form: " + page.slice(0, 500));
  const consentNamesClient = page.includes("sfmcp e2e &lt;script&gt;");
  res = await go(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(mcpUrl).origin },
    body: new URLSearchParams({ consent_id: id, action: "approve" }),
  });
  for (let i = 0; i < 10; i++) {
    const loc = res.headers.get("location");
    if (!loc) throw new Error(`stuck at ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const next = new URL(loc, current);
    if (next.href.startsWith(redirectUrl)) return { back: next, trail, consentNamesClient };
    res = await go(next.href);
  }
  throw new Error("too many redirects");
}

const provider = new Provider();
const connect = async () => {
  const client = new Client({ name: "sfmcp-oauth-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
  return client;
};
const query = async (client) => {
  const res = await client.callTool({ name: "salesforce_query", arguments: { soql: "SELECT Id, Name FROM Account ORDER BY Id", max_records: 2 } });
  return { isError: !!res.isError, rows: res.structuredContent?.rows?.length ?? 0, text: res.isError ? res.content?.[0]?.text : undefined };
};

try {
  // 1. Unauthenticated: the SDK discovers, registers and asks for a redirect.
  try {
    await connect();
    throw new Error("connected without authorization");
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  const authUrl = provider.authUrl;
  step("redirected", {
    authorize: authUrl.origin + authUrl.pathname,
    pkce: authUrl.searchParams.get("code_challenge_method"),
    resource: authUrl.searchParams.get("resource"),
    scope: authUrl.searchParams.get("scope"),
    client_id: provider.client?.client_id,
    has_secret: !!provider.client?.client_secret,
    auth_method: provider.client?.token_endpoint_auth_method,
  });

  // 2. The user approves in the "browser"; the code comes back to us.
  const { back, trail, consentNamesClient } = await browser(authUrl);
  step("browser", { trail, consentNamesClient, stateOK: back.searchParams.get("state") === provider.expectedState, iss: back.searchParams.get("iss") });
  const code = back.searchParams.get("code");
  if (!code) throw new Error("no code: " + back.href);

  // 3. The SDK exchanges the code (PKCE verifier + client auth).
  const t0 = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await t0.finishAuth(code);
  step("token", { token_type: provider.tok?.token_type, has_refresh: !!provider.tok?.refresh_token, expires_in: provider.tok?.expires_in, scope: provider.tok?.scope });

  // 4. Tools with sfmcp's token.
  let client = await connect();
  const { tools } = await client.listTools();
  step("tools", { count: tools.length, query: await query(client) });

  // 5. Salesforce's sessions expire: sfmcp refreshes them upstream and keeps going.
  if (process.env.EMULATOR_URL) {
    const ex = await fetch(process.env.EMULATOR_URL + "/__emulator/expire-sessions", { method: "POST", headers: { "content-type": "application/json" } });
    if (!ex.ok) throw new Error("expire-sessions: " + ex.status + " " + (await ex.text()));
    step("after-salesforce-expiry", { query: await query(client), query2: await query(client) });
  }

  // 6. Our access token is revoked (RFC 7009): the SDK refreshes and retries.
  const first = { ...provider.tok };
  const meta = provider.discovery?.authorizationServerMetadata;
  const revokeForm = new URLSearchParams({ token: first.access_token, token_type_hint: "access_token", client_id: provider.client.client_id });
  if (provider.client.client_secret) revokeForm.set("client_secret", provider.client.client_secret);
  const rv = await fetch(meta.revocation_endpoint, { method: "POST", body: revokeForm });
  await client.close();
  client = await connect();
  step("after-revoke", {
    revokeStatus: rv.status,
    query: await query(client),
    rotated: provider.tok.refresh_token !== first.refresh_token && provider.tok.access_token !== first.access_token,
  });

  // 7. The rotated-out refresh token again: refused, and its family revoked.
  if (process.env.SKIP_REUSE) {
    await client.close();
    out.tokens = provider.saved;
    out.ok = true;
    process.stdout.write(JSON.stringify(out) + "\n");
    process.exit(0);
  }
  const reuse = new URLSearchParams({ grant_type: "refresh_token", refresh_token: first.refresh_token, client_id: provider.client.client_id });
  if (provider.client.client_secret) reuse.set("client_secret", provider.client.client_secret);
  const rr = await fetch(meta.token_endpoint, { method: "POST", body: reuse });
  const reuseBody = await rr.json();
  provider.authUrl = undefined;
  let afterReuse;
  try {
    await client.close();
    client = await connect();
    afterReuse = { connected: true, query: await query(client) };
  } catch (e) {
    afterReuse = { connected: false, unauthorized: e instanceof UnauthorizedError, reauthorize: !!provider.authUrl, error: String(e?.message ?? e) };
  }
  step("refresh-reuse", { status: rr.status, error: reuseBody.error, afterReuse });
  out.tokens = provider.saved;
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.error = String(e?.stack ?? e);
}
process.stdout.write(JSON.stringify(out) + "\n");
