// Where the verify page learns what it trusts: the deployment file, then the API, else nothing
// (the visitor types it). A static host's index.html fallback or a half-filled file is no file.
import { describe, expect, it } from "vitest";
import { CHAIN_FILE, loadPinned, parseChainId, parsePinned, parseRpcUrl, toTrusted } from "../src/lib/trust";

const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const file = { chain_id: 31337, contract_address: contract, public_rpc_url: "http://127.0.0.1:8545" };

/** A fetch answering `routes` by path (JSON bodies, or text), 404 otherwise; `down` throws. */
function fakeFetch(routes: Record<string, unknown>, down = false): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    if (down) throw new TypeError("Failed to fetch");
    const body = routes[String(input)];
    if (body === undefined) return new Response("not found", { status: 404 });
    return new Response(typeof body === "string" ? body : JSON.stringify(body), { status: 200 });
  }) as typeof fetch;
}

describe("the deployment file", () => {
  it("pins chain, contract and endpoint", () => {
    expect(parsePinned(file)).toEqual({ chainId: 31337, contract, rpcUrl: "http://127.0.0.1:8545" });
    expect(toTrusted(parsePinned(file)!)).toEqual({ chainId: 31337, contract, rpcUrl: "http://127.0.0.1:8545" });
  });

  it("may leave the endpoint to the visitor, never the contract or chain", () => {
    const noRpc = parsePinned({ ...file, public_rpc_url: null });
    expect(noRpc).toEqual({ chainId: 31337, contract, rpcUrl: null });
    expect(toTrusted(noRpc!)).toBeNull();
    expect(parsePinned({ ...file, contract_address: "0x1234" })).toBeNull();
    expect(parsePinned({ ...file, contract_address: undefined })).toBeNull();
    expect(parsePinned({ ...file, chain_id: 0 })).toBeNull();
    expect(parsePinned({ ...file, chain_id: 1.5 })).toBeNull();
    expect(parsePinned("<!doctype html>")).toBeNull();
    expect(parsePinned(null)).toBeNull();
  });

  it("reads what a visitor types", () => {
    expect(parseChainId(" 137 ")).toBe(137);
    expect(parseChainId("-1")).toBeNull();
    expect(parseChainId("0x1")).toBeNull();
    expect(parseRpcUrl("https://rpc.example.org/key")).toBe("https://rpc.example.org/key");
    expect(parseRpcUrl("javascript:alert(1)")).toBeNull();
    expect(parseRpcUrl("rpc.example.org")).toBeNull();
  });
});

describe("loading what is trusted", () => {
  it("reads the deployment file first", async () => {
    const got = await loadPinned(fakeFetch({ [CHAIN_FILE]: file, "/v1/chain": { ...file, chain_id: 1 } }));
    expect(got).toEqual({ source: "file", pinned: { chainId: 31337, contract, rpcUrl: "http://127.0.0.1:8545" } });
  });

  it("falls back to the API when there is no file (or only the page's fallback)", async () => {
    const api = { ...file, eip712_name: "Pramana ConsentRegistry" };
    expect((await loadPinned(fakeFetch({ "/v1/chain": api })))?.source).toBe("api");
    expect((await loadPinned(fakeFetch({ [CHAIN_FILE]: "<!doctype html><html></html>", "/v1/chain": api })))?.source).toBe("api");
  });

  it("gives nothing when neither answers", async () => {
    expect(await loadPinned(fakeFetch({ [CHAIN_FILE]: "<!doctype html>", "/v1/chain": "<!doctype html>" }))).toBeNull();
    expect(await loadPinned(fakeFetch({}, true))).toBeNull();
  });
});
