// The TypeScript side of test/cross-cli.sh: creates keystores, seals and opens envelopes with
// the web client's crypto (loaded through Vite), on files the CLI reads or wrote.
//   node cross-cli.mjs keystore PATH               (passphrase from PRAMANA_PASSPHRASE)
//   node cross-cli.mjs unlock PATH                 (prints the public keys; exit 1 if it fails)
//   node cross-cli.mjs seal IN DIR ID X25519_HEX   (writes DIR/ID.env and DIR/ID.json, as the stub API keeps them)
//   node cross-cli.mjs open ENV ID KEYSTORE OUT    (opens with the keystore's identity)
import { readFileSync, writeFileSync, createReadStream, createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { createServer } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
const server = await createServer({ root, server: { middlewareMode: true }, appType: "custom", logLevel: "silent" });
const env = await server.ssrLoadModule("/src/crypto/envelope.ts");
const ks = await server.ssrLoadModule("/src/crypto/keystore.ts");
const { fromHex, toHex } = await server.ssrLoadModule("/src/crypto/bytes.ts");
const uuidBytes = (id) => fromHex(id.replaceAll("-", ""));
const passphrase = () => {
  const p = process.env.PRAMANA_PASSPHRASE;
  if (!p) throw new Error("set PRAMANA_PASSPHRASE");
  return p;
};

const [cmd, ...args] = process.argv.slice(2);
try {
  switch (cmd) {
    case "keystore": {
      const { file } = await ks.createKeystore(passphrase());
      writeFileSync(args[0], ks.serializeKeystore(file), { mode: 0o600 });
      console.log(JSON.stringify({ x25519_public: file.x25519_public, eth_address: file.eth_address }));
      break;
    }
    case "unlock": {
      const keys = await ks.unlockKeystore(ks.parseKeystore(readFileSync(args[0], "utf8")), passphrase());
      console.log(JSON.stringify({ x25519_public: toHex(keys.identity.publicKey), eth_address: keys.address }));
      break;
    }
    case "seal": {
      const [input, dir, id, recipient] = args;
      const out = createWriteStream(`${dir}/${id}.env`);
      const gen = env.seal(createReadStream(input), { docId: uuidBytes(id), recipients: [fromHex(recipient)] });
      let r;
      for (r = await gen.next(); !r.done; r = await gen.next()) if (!out.write(r.value)) await new Promise((ok) => out.once("drain", ok));
      await new Promise((ok) => out.end(ok));
      const meta = { plaintext_sha256: toHex(r.value.plaintextSha256), salt: toHex(r.value.salt), payload_sha256: toHex(r.value.payloadSha256) };
      writeFileSync(`${dir}/${id}.json`, JSON.stringify(meta, null, 2));
      console.log(JSON.stringify(meta));
      break;
    }
    case "open": {
      const [input, id, keystore, output] = args;
      const keys = await ks.unlockKeystore(ks.parseKeystore(readFileSync(keystore, "utf8")), passphrase());
      const out = createWriteStream(output);
      const gen = env.open(createReadStream(input), { docId: uuidBytes(id), identity: keys.identity });
      let r;
      for (r = await gen.next(); !r.done; r = await gen.next()) if (!out.write(r.value)) await new Promise((ok) => out.once("drain", ok));
      await new Promise((ok) => out.end(ok));
      console.log(JSON.stringify({ plaintext_sha256: toHex(r.value.plaintextSha256), plaintext_len: r.value.plaintextLen }));
      break;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
} catch (e) {
  console.error(`cross-cli: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
} finally {
  await server.close();
}
