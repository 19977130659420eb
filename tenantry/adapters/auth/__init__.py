"""Who may call tenantry's APIs: API clients (OAuth 2.0 client credentials), their secrets, the
signing keys and the access tokens. Shared by every API surface (REST today); needs the
``http`` extra (PyJWT, cryptography)."""
