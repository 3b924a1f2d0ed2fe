// A JSON-RPC proxy that counts what passes through it: HTTP requests, JSON-RPC calls (each element
// of a batch is one call) and calls per method. Every system in `make bench` reaches anvil through it.
//   node rpc-proxy.mjs LISTEN_PORT UPSTREAM_URL
//   GET  /__stats  -> {"http_requests":N,"calls":N,"methods":{"eth_getLogs":N,...},"in_flight":N}
//   POST /__reset  -> zeroes the counters (in_flight: HTTP requests sent upstream and not answered yet)
// Responses are streamed back untouched; only request bodies are parsed, to count them.
import http from "node:http";

const [port, upstream] = process.argv.slice(2);
if (!port || !upstream) {
  console.error("usage: node rpc-proxy.mjs LISTEN_PORT UPSTREAM_URL");
  process.exit(64);
}
const target = new URL(upstream);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let stats;
let inFlight = 0;
const reset = () => (stats = { http_requests: 0, calls: 0, methods: {} });
reset();

const count = (body) => {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    return;  // anvil answers the parse error; nothing to count but the HTTP request
  }
  for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
    stats.calls++;
    const m = typeof call?.method === "string" ? call.method : "?";
    stats.methods[m] = (stats.methods[m] ?? 0) + 1;
  }
};

http
  .createServer((req, res) => {
    if (req.url === "/__stats") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...stats, in_flight: inFlight }));
      return;
    }
    if (req.url === "/__reset") {
      reset();
      res.writeHead(204).end();
      return;
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      stats.http_requests++;
      count(body.toString("utf8"));
      inFlight++;
      let done = false;
      const finish = () => {
        if (!done) inFlight--;
        done = true;
      };
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: req.method,
          agent,
          headers: { "content-type": "application/json", "content-length": body.length },
        },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, { "content-type": ur.headers["content-type"] ?? "application/json" });
          ur.on("end", finish);
          ur.on("error", finish);
          ur.pipe(res);
        },
      );
      // A client that gave up (a server stopped with requests in flight) needs no answer: abort, so
      // anvil is not left working off calls nobody waits for.
      res.on("close", () => {
        if (!res.writableFinished) up.destroy();
      });
      up.on("close", finish);
      up.on("error", (e) => {
        finish();
        if (!res.headersSent && !res.destroyed) res.writeHead(502, { "content-type": "text/plain" }).end(String(e));
      });
      up.end(body);
    });
  })
  .listen(Number(port), "127.0.0.1");
