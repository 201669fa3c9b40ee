"""View-models of the console: plain data from the server's read functions, after the
same permission checks as the API (`server.access`). No Flet here; unit-tested."""
