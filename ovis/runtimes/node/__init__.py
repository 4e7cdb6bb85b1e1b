"""The Node.js runtime: bootstrap.mjs (runs inside instances) and its adapter."""
