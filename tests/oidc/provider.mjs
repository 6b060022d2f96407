// A real OpenID Connect provider for the tests (the oidc-provider package), with two users.
// Usage: node tests/oidc/provider.mjs PORT REDIRECT_URI. Prints "ready" once it listens.
// Its built-in login form (devInteractions) takes any password for "ann", "bob" or "carol"
// (the admin in tests that give --admins); consent
// is granted at once (this whiteboard is the only client), so a sign-in is one form.
import Provider from "oidc-provider";

const [port, redirect] = [Number(process.argv[2]), process.argv[3]];
const USERS = {
  ann: { email: "ann@example.com", name: "Ann Owner" },
  bob: { email: "bob@example.com", name: "Bob Guest" },
  carol: { email: "carol@example.com", name: "Carol Admin" },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: "whiteboard",
      client_secret: "test-secret",
      redirect_uris: [redirect],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  async findAccount(_ctx, id) {
    const user = USERS[id];
    if (!user) return undefined;
    return {
      accountId: id,
      claims: async () => ({ sub: id, email: user.email, email_verified: true, name: user.name }),
    };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // The e-mail and name in the ID token itself, where the whiteboard reads them.
  conformIdTokenClaims: false,
  cookies: { keys: ["tests-only-cookie-key"] },
  features: { devInteractions: { enabled: true } },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
});
provider.listen(port, "127.0.0.1", () => console.log("ready"));
