// A local OpenID Connect provider for civicarchive's single sign-on tests: panva's
// oidc-provider (OpenID-certified), on 127.0.0.1 only, with one confidential client, PKCE
// required, and test accounts read from a JSON file. Never a production server.
//
//   node scripts/oidc/server.mjs --port 0 --accounts accounts.json
//
// Settings, by flag or environment variable:
//   --port / OIDC_PORT                  0 (the default) picks a free port
//   --accounts / OIDC_ACCOUNTS          the accounts file (below)
//   --client-id / OIDC_CLIENT_ID        default "civicarchive"
//   --client-secret / OIDC_CLIENT_SECRET (required)
//   --redirect-uris / OIDC_REDIRECT_URIS  space-separated (required)
//   OIDC_PROVIDER_MODULES               the node_modules folder holding oidc-provider
//                                       (default: .oidc/node_modules at the repository root)
//
// The accounts file: extra scopes and the claims each releases, the accounts, each signing
// in with its preferred_username and password, and optionally more clients (another
// application's, in the same form as oidc-provider's client metadata):
//   {"scopes": {"civicarchive": ["civicarchive_roles", "civicarchive_agency"]},
//    "accounts": [{"sub": "u-1", "password": "...", "claims": {"preferred_username": "clerk",
//                  "name": "...", "email": "...", "civicarchive_roles": ["records_officer"]}}],
//    "clients": [{"client_id": "other", "client_secret": "...", "redirect_uris": [...]}]}
//
// Once listening it prints one JSON line on stdout: {"issuer": "http://127.0.0.1:PORT", "port": PORT}.
// Sign-in is a plain HTML form (no script) at /interaction/:uid; the configured client's
// consent is taken as granted, as an agency's administrator grants it for an enterprise app.

import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const HOST = '127.0.0.1';
const here = dirname(fileURLToPath(import.meta.url));

const { values: flags } = parseArgs({
  options: {
    port: { type: 'string' },
    accounts: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uris': { type: 'string' },
  },
});

function setting(flag, variable, fallback) {
  const value = flags[flag] ?? process.env[variable] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`missing setting: --${flag} or ${variable}`);
    process.exit(2);
  }
  return value;
}

const port = Number(setting('port', 'OIDC_PORT', '0'));
const accountsFile = setting('accounts', 'OIDC_ACCOUNTS');
const clientId = setting('client-id', 'OIDC_CLIENT_ID', 'civicarchive');
const clientSecret = setting('client-secret', 'OIDC_CLIENT_SECRET');
const redirectUris = setting('redirect-uris', 'OIDC_REDIRECT_URIS').split(/\s+/).filter(Boolean);
const modules = process.env.OIDC_PROVIDER_MODULES
  || join(here, '..', '..', '.oidc', 'node_modules');

const { default: Provider } = await import(
  pathToFileURL(join(resolve(modules), 'oidc-provider', 'lib', 'index.js')).href);

const directory = JSON.parse(readFileSync(accountsFile, 'utf8'));
const accounts = new Map(directory.accounts.map((account) => [account.sub, account]));
const byUsername = new Map(directory.accounts.map(
  (account) => [account.claims.preferred_username, account]));

// A fresh signing key each start: the client must fetch it from the JWKS, as in production.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

function sameSecret(given, expected) {
  const a = Buffer.from(String(given));
  const b = Buffer.from(String(expected));
  return a.length === b.length && timingSafeEqual(a, b);
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res, status, title, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  // form-action also governs the redirects after the sign-in form is posted, which end at
  // the client's callback on another loopback port (a browser follows them; httpx does not
  // check): allow loopback, as the provider listens nowhere else.
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:*");
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><main><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

function loginForm(res, uid, status = 200, problem = '') {
  const error = problem ? `<p role="alert">${escape(problem)}</p>` : '';
  page(res, status, 'Sign in to the test identity provider', `${error}
<form method="post" action="/interaction/${escape(uid)}/login">
<p><label for="username">Username</label> <input id="username" name="username" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
<p><a href="/interaction/${escape(uid)}/abort">Cancel</a></p>`);
}

async function formBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

let provider;

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return page(res, 400, 'Wrong sign-in', '<p>Start again.</p>');
  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'the user cancelled the sign-in',
    }, { mergeWithLastSubmission: false });
  }
  if (details.prompt.name !== 'login') {
    return page(res, 501, 'Not supported', `<p>Prompt ${escape(details.prompt.name)} is not handled here.</p>`);
  }
  if (action === '' && req.method === 'GET') return loginForm(res, uid);
  if (action === 'login' && req.method === 'POST') {
    const form = await formBody(req);
    const account = byUsername.get(form.get('username'));
    if (!account || !sameSecret(form.get('password') ?? '', account.password)) {
      return loginForm(res, uid, 401, 'Wrong username or password.');
    }
    return provider.interactionFinished(req, res, { login: { accountId: account.sub } },
      { mergeWithLastSubmission: false });
  }
  return page(res, 405, 'Not allowed', '');
}

const server = createServer((req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(new URL(req.url, 'http://x').pathname);
  if (!match) return provider.callback()(req, res);
  return interaction(req, res, match[1], match[2] ?? '').catch((error) => {
    page(res, 400, 'Sign-in failed', `<p>${escape(error.message)}</p>`);
  });
});

server.listen(port, HOST, () => {
  const issuer = `http://${HOST}:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }, ...(directory.clients ?? [])],
    pkce: { required: () => true },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      ...(directory.scopes ?? {}),
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    async loadExistingGrant(ctx) {
      // Every client here is consented for every scope and claim it asks for.
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' '));
      grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
  });
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  process.stdout.write(`${JSON.stringify({ issuer, port: server.address().port })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
