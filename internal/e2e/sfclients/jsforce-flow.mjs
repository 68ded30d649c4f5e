// jsforce-flow.mjs drives jsforce 3, unmodified, against the sfmcp emulator
// for internal/e2e/sfclients_test.go. It reads INSTANCE_URL, ACCESS_TOKEN,
// CLIENT_ID and REDIRECT_URI from the environment, runs each step, and
// prints one JSON object of what it saw on stdout; the Go test judges it.
// (A record read after its delete is ENTITY_IS_DELETED, as Salesforce
// answers for records in the recycle bin.)
// A failing step is reported with its error instead of stopping the others.
import jsforce from 'jsforce';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const instanceUrl = env('INSTANCE_URL');
const out = {};
const step = async (name, fn) => {
  try {
    out[name] = await fn();
  } catch (e) {
    out[name] = { error: `${e.name}: ${e.message}`, errorCode: e.errorCode };
  }
};

const conn = new jsforce.Connection({ instanceUrl, accessToken: env('ACCESS_TOKEN'), version: '62.0' });

await step('identity', async () => {
  const id = await conn.identity();
  return { user_id: id.user_id, organization_id: id.organization_id, username: id.username, display_name: id.display_name, id: id.id };
});

await step('query', async () => {
  // One page of 2,000, then queryMore for the rest.
  const first = await conn.query('SELECT Id, Name FROM Contact ORDER BY Name', { autoFetch: false });
  let seen = first.records.length;
  let pages = 1;
  let res = first;
  while (!res.done) {
    res = await conn.queryMore(res.nextRecordsUrl);
    seen += res.records.length;
    pages++;
  }
  return { totalSize: first.totalSize, firstPage: first.records.length, seen, pages };
});

await step('crud', async () => {
  const created = await conn.sobject('Account').create({ Name: 'jsforce Co', Industry: 'Energy' });
  const got = await conn.sobject('Account').retrieve(created.id);
  const updated = await conn.sobject('Account').update({ Id: created.id, Industry: 'Banking' });
  const after = await conn.sobject('Account').retrieve(created.id, { fields: ['Industry'] });
  const del = await conn.sobject('Account').destroy(created.id);
  let gone = null;
  try {
    await conn.sobject('Account').retrieve(created.id);
  } catch (e) {
    gone = e.errorCode || e.name;
  }
  return { created: created.success, name: got.Name, updated: updated.success, industry: after.Industry, deleted: del.success, gone };
});

await step('upsert', async () => {
  const a = await conn.sobject('Contact').upsert({ LastName: 'Upserted', Email: 'upsert.jsforce@example.com' }, 'Email');
  const b = await conn.sobject('Contact').upsert({ LastName: 'Upserted Again', Email: 'upsert.jsforce@example.com' }, 'Email');
  const rows = await conn.query("SELECT LastName FROM Contact WHERE Email = 'upsert.jsforce@example.com'");
  return { firstCreated: a.created, secondCreated: b.created, count: rows.totalSize, lastName: rows.records[0]?.LastName };
});

await step('bulk2', async () => {
  conn.bulk2.pollInterval = 200;
  conn.bulk2.pollTimeout = 60000;
  const res = await conn.bulk2.loadAndWaitForResults({
    object: 'Account',
    operation: 'insert',
    input: 'Name,Industry\nBulk2 One,Energy\nBulk2 Two,Energy\n',
  });
  const records = await conn.bulk2.query("SELECT Id, Name FROM Account WHERE Name LIKE 'Bulk2 %' ORDER BY Name");
  const names = [];
  for await (const r of records) names.push(r.Name);
  return { successful: res.successfulResults.length, failed: res.failedResults.length, names };
});

await step('oauth', async () => {
  const oauth2 = new jsforce.OAuth2({ loginUrl: instanceUrl, clientId: env('CLIENT_ID'), redirectUri: env('REDIRECT_URI'), useVerifier: true });
  const authz = oauth2.getAuthorizationUrl({ scope: 'api refresh_token', state: 'st8' });
  // The emulator approves at once; read the code off its redirect.
  const resp = await fetch(authz, { redirect: 'manual' });
  const loc = new URL(resp.headers.get('location'));
  const code = loc.searchParams.get('code');
  const c2 = new jsforce.Connection({ oauth2, version: '62.0' });
  const userInfo = await c2.authorize(code);
  const q1 = await c2.query('SELECT count() FROM Account');
  const refreshed = await oauth2.refreshToken(c2.refreshToken);
  const c3 = new jsforce.Connection({ instanceUrl: refreshed.instance_url, accessToken: refreshed.access_token, version: '62.0' });
  const q2 = await c3.query('SELECT count() FROM Account');
  // A wrong verifier is refused.
  const bad = new jsforce.OAuth2({ loginUrl: instanceUrl, clientId: env('CLIENT_ID'), redirectUri: env('REDIRECT_URI'), useVerifier: true });
  const resp2 = await fetch(oauth2.getAuthorizationUrl({ scope: 'api' }), { redirect: 'manual' });
  const code2 = new URL(resp2.headers.get('location')).searchParams.get('code');
  let badVerifier = null;
  try {
    await bad.requestToken(code2);
  } catch (e) {
    badVerifier = e.name;
  }
  return {
    status: resp.status, state: loc.searchParams.get('state'), userId: userInfo.id, hasRefresh: !!c2.refreshToken,
    count1: q1.totalSize, refreshedToken: refreshed.access_token !== c2.accessToken, count2: q2.totalSize, badVerifier,
  };
});

process.stdout.write(JSON.stringify(out) + '\n');
