// A real OpenID provider (the certified `oidc-provider` package) for the SSO tests, on loopback.
//
// Configured by environment variables from tests/browser/test_sso.py:
//   OIDC_PROVIDER_MODULE  path of the installed oidc-provider package (installed by the tests)
//   ACCOUNTS_FILE         JSON {"anna": {"email": …, "groups": […]}}, read at each sign-in,
//                         so a test changes someone's groups between two sign-ins
//   CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI   the one static client
// Prints {"issuer": "http://127.0.0.1:<port>"} on its first line once it answers.
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const { default: Provider } = await import(
  pathToFileURL(join(process.env.OIDC_PROVIDER_MODULE, "lib", "index.js")).href
);

const accounts = () => JSON.parse(readFileSync(process.env.ACCOUNTS_FILE, "utf8"));
const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const signingKey = {
  ...generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }),
  kid: "debrief-tests",
  use: "sig",
  alg: "RS256",
};

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title}</h1>${body}</body></html>`;
}

function loginForm(uid, error = "") {
  return page(
    "Test provider sign-in",
    `${error ? `<p role="alert">${escape(error)}</p>` : ""}
<form method="post" action="/interaction/${uid}/login">
  <label for="login">Username</label> <input id="login" name="login" autofocus>
  <button type="submit">Sign in at the provider</button>
</form>`,
  );
}

async function formBody(req) {
  let data = "";
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: process.env.CLIENT_ID,
        client_secret: process.env.CLIENT_SECRET,
        redirect_uris: [process.env.REDIRECT_URI],
        post_logout_redirect_uris: [process.env.POST_LOGOUT_REDIRECT_URI],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: ["debrief-tests-cookie-key"] },
    scopes: ["openid", "email", "profile", "groups"],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name", "preferred_username"],
      groups: ["groups"],
    },
    pkce: { methods: ["S256"], required: () => true },
    // Short lifetimes: the tests move Python's clock, not this one, to see a token expire.
    ttl: {
      AccessToken: 60,
      AuthorizationCode: 30,
      IdToken: 60,
      Interaction: 300,
      Session: 600,
      Grant: 600,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page(
            "Sign out of the test provider?",
            `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`,
          );
        },
      },
    },
    async findAccount(ctx, id) {
      const claims = accounts()[id];
      if (!claims) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
    },
  });

  // The sign-in page: who you are; consent is given without asking, as for a company's own app.
  provider.use(async (ctx, next) => {
    const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === "login") {
      if (ctx.method !== "POST") {
        ctx.type = "html";
        ctx.body = loginForm(details.uid);
        return;
      }
      const login = (await formBody(ctx.req)).get("login");
      if (!accounts()[login]) {
        ctx.type = "html";
        ctx.body = loginForm(details.uid, `No account ${login} here.`);
        return;
      }
      result = { login: { accountId: login } };
    } else {
      const { Grant } = provider;
      const grant = details.grantId
        ? await Grant.find(details.grantId)
        : new Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      result = { consent: { grantId: await grant.save() } };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: false,
    });
    ctx.status = 303;
    ctx.redirect(to);
  });

  server.on("request", provider.callback());
  console.log(JSON.stringify({ issuer }));
});
