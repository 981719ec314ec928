// The ConsentRegistry fragments the pages call (by eth_call or eth_getLogs straight to the
// chain's RPC endpoint, never through Pramana), in one place. Written out `as const` so viem
// types the calls; test/registryAbi.test.ts holds them to the contract's checked-in ABI
// (abi/ConsentRegistry.json), so a change to the contract fails the web tests until this follows.

/** The anchoring half: `verifyDocument` and `anchoredAt`. */
export const anchorAbi = [
  {
    type: "function",
    name: "verifyDocument",
    stateMutability: "view",
    inputs: [
      { name: "root", type: "bytes32" },
      { name: "salt", type: "bytes32" },
      { name: "docSha256", type: "bytes32" },
      { name: "proof", type: "bytes32[]" },
    ],
    outputs: [
      { name: "verified", type: "bool" },
      { name: "timestamp", type: "uint64" },
      { name: "blockNumber", type: "uint64" },
    ],
  },
  {
    type: "function",
    name: "anchoredAt",
    stateMutability: "view",
    inputs: [{ name: "root", type: "bytes32" }],
    outputs: [
      { name: "timestamp", type: "uint64" },
      { name: "blockNumber", type: "uint64" },
      { name: "leafCount", type: "uint64" },
    ],
  },
] as const;

/** The consent half: the grant and revocation events and `consentStatus`. */
export const consentAbi = [
  {
    type: "event",
    name: "ConsentGranted",
    inputs: [
      { name: "consentId", type: "bytes32", indexed: true },
      { name: "patient", type: "address", indexed: true },
      { name: "grantee", type: "address", indexed: true },
      { name: "scopeHash", type: "bytes32", indexed: false },
      { name: "validFrom", type: "uint64", indexed: false },
      { name: "validUntil", type: "uint64", indexed: false },
    ],
  },
  {
    type: "event",
    name: "ConsentRevoked",
    inputs: [
      { name: "consentId", type: "bytes32", indexed: true },
      { name: "patient", type: "address", indexed: true },
      { name: "grantee", type: "address", indexed: true },
    ],
  },
  {
    type: "function",
    name: "consentStatus",
    stateMutability: "view",
    inputs: [
      { name: "patient", type: "address" },
      { name: "consentId", type: "bytes32" },
    ],
    outputs: [{ name: "", type: "uint8" }],
  },
] as const;
