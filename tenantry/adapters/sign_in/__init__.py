"""Signing people in through an organization's SSO connection: the protocol core
(:mod:`tenantry.adapters.sso`) wired to connections, the browser's pending login, and the
application's just-in-time provisioning. HTTP routes (:mod:`tenantry.adapters.http.sign_in`) and
the embedding application's Python code call :class:`~tenantry.adapters.sign_in.service.SignIn`.
"""
