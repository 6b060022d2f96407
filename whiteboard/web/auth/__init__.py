"""Sign-in with OpenID Connect, the session cookie, who is an admin, and who may do what on a
board (``docs/architecture.md``, "Sign-in, owners and sharing")."""
