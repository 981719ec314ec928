// Where a patient's signature goes, read as `pramana consent approve | revoke` reads it
// (cli/src/signing.rs): the contract's EIP-712 domain from GET /v1/chain, the patient's account
// (the first Ethereum key the account registered), and the account's nonce read from the
// contract itself through the chain's public RPC endpoint — never taken from the platform.
import { createPublicClient, getAddress, http, type Address } from "viem";
import { api, call, type Schemas } from "../api/client";
import { domain, type Domain } from "../crypto/eip712";

const NONCES_ABI = [
  {
    type: "function",
    name: "nonces",
    stateMutability: "view",
    inputs: [{ name: "account", type: "address" }],
    outputs: [{ name: "", type: "uint64" }],
  },
] as const;

/** Something about the chain the page cannot do without; shown in plain words. */
export class ChainSetupError extends Error {
  constructor(readonly reason: "no_contract" | "no_rpc" | "wrong_chain" | "rpc_unreachable") {
    super(reason);
    this.name = "ChainSetupError";
  }
}

export interface Signing {
  domain: Domain;
  nonce: bigint;
}

/** The account a patient signs for: the oldest Ethereum key registered (the list is newest first). */
export function accountOf(keys: Schemas["KeyView"][], fallback: string): Address {
  const eth = keys.filter((k) => k.kind === "ethereum");
  return getAddress(eth.at(-1)?.public_key ?? fallback);
}

/** The domain and `patient`'s nonce now, with a rotation still on its way counted as used. */
export async function signingFor(patient: Address, keys?: Schemas["KeyView"][]): Promise<Signing> {
  const chain = await call(() => api.GET("/v1/chain"));
  if (!chain.contract_address) throw new ChainSetupError("no_contract");
  if (!chain.public_rpc_url) throw new ChainSetupError("no_rpc");
  const contract = getAddress(chain.contract_address);
  const client = createPublicClient({ transport: http(chain.public_rpc_url, { retryCount: 1 }) });
  let onChain: bigint;
  try {
    const served = await client.getChainId();
    if (served !== chain.chain_id) throw new ChainSetupError("wrong_chain");
    onChain = await client.readContract({ address: contract, abi: NONCES_ABI, functionName: "nonces", args: [patient] });
  } catch (e) {
    throw e instanceof ChainSetupError ? e : new ChainSetupError("rpc_unreachable");
  }
  // A key rotation the platform has not relayed yet uses up its nonce when it lands.
  const list = keys ?? (await call(() => api.GET("/v1/keys")));
  let nonce = onChain;
  for (const k of list) {
    const r = k.rotation;
    if (r && (r.state === "pending" || r.state === "submitted") && BigInt(r.nonce) + 1n > nonce) nonce = BigInt(r.nonce) + 1n;
  }
  return { domain: domain(chain.chain_id, contract), nonce };
}

/** A signature deadline a week from now (Unix seconds), as the CLI signs. */
export function deadline(): bigint {
  return BigInt(Math.floor(Date.now() / 1000) + 7 * 86_400);
}
