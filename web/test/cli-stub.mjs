// A stand-in for the platform's /v1 API with only what `pramana upload` and `pramana download`
// call, so the CLI can seal and open envelopes with no platform running (cross-implementation
// tests only). Uploads are saved as DIR/<id>.env with DIR/<id>.json (the query: digests, salt);
// downloads serve DIR/<id>.env with the plaintext_sha256 of DIR/<id>.json.
// Usage: node cli-stub.mjs DIR [GRANTEE_X25519_HEX]   (prints the port it listens on)
import { createReadStream, createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

const [dir, grantee] = process.argv.slice(2);
if (!dir) throw new Error("usage: node cli-stub.mjs DIR [GRANTEE_X25519_HEX]");

const json = (res, status, value) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
};

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://stub");
  const doc = /^\/v1\/documents\/([0-9a-f-]{36})(\/content)?$/.exec(url.pathname);
  if (req.method === "GET" && url.pathname === "/v1/consents") {
    // One granted consent covering every document, when a grantee key was given.
    const consent = { id: "00000000-0000-4000-8000-000000000001", status: "GRANTED", hi_types: ["DiagnosticReport"], date_range: { from: "0000-01-01", to: "9999-12-31" } };
    return json(res, 200, grantee ? [consent] : []);
  }
  if (req.method === "GET" && url.pathname.endsWith("/grantee-keys")) {
    return json(res, 200, { x25519_public_key: grantee });
  }
  if (doc && req.method === "PUT" && !doc[2]) {
    const id = doc[1];
    writeFileSync(join(dir, `${id}.json`), JSON.stringify(Object.fromEntries(url.searchParams), null, 2));
    const out = createWriteStream(join(dir, `${id}.env`));
    req.pipe(out);
    out.on("finish", () => json(res, 201, { id }));
    return;
  }
  if (doc && req.method === "GET") {
    const id = doc[1];
    if (!existsSync(join(dir, `${id}.env`))) return json(res, 404, { code: "not_found", message: "no such document" });
    if (doc[2]) {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      createReadStream(join(dir, `${id}.env`)).pipe(res);
      return;
    }
    const meta = JSON.parse(readFileSync(join(dir, `${id}.json`), "utf8"));
    return json(res, 200, { id, plaintext_sha256: meta.plaintext_sha256 });
  }
  json(res, 404, { code: "not_found", message: `${req.method} ${url.pathname}` });
});

server.listen(0, "127.0.0.1", () => {
  console.log(server.address().port);
});
