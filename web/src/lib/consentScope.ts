// The consent scope as the contract commits to it (docs/contract.md, core::consent): the
// `scopeHash` a patient signs in a grant, so a narrowed grant signs exactly what it covers.
import { encodeAbiParameters, keccak256, parseAbiParameters, type Hex } from "viem";
import { HI_TYPES } from "./hiTypes";

export const SCOPE_VERSION = "pramana-consent-scope-v1";

/** The HI types, in the vocabulary's order (how the platform stores and lists them). */
export { HI_TYPES };

export interface ConsentScope {
  purpose: string;
  hiTypes: string[];
  accessMode: string;
  /** Care dates, `YYYY-MM-DD`. */
  dateFrom: string;
  dateTo: string;
  frequency: { unit: string; value: number; repeats: number };
}

const PARAMS = parseAbiParameters("string, string, string[], string, string, string, string, uint32, uint32");

/** `keccak256(abi.encode(version, purpose, sorted hiTypes, accessMode, from, to, unit, value, repeats))`. */
export function scopeHash(s: ConsentScope): Hex {
  // Sorted by the codes' bytes (ASCII, so the default string order) and without repeats.
  const codes = [...new Set(s.hiTypes)].sort();
  return keccak256(
    encodeAbiParameters(PARAMS, [
      SCOPE_VERSION,
      s.purpose,
      codes,
      s.accessMode,
      s.dateFrom,
      s.dateTo,
      s.frequency.unit,
      s.frequency.value,
      s.frequency.repeats,
    ]),
  );
}

/** HI types in the vocabulary's order. */
export function sortHiTypes(types: string[]): string[] {
  const rank = (t: string) => {
    const i = (HI_TYPES as readonly string[]).indexOf(t);
    return i < 0 ? HI_TYPES.length : i;
  };
  return [...new Set(types)].sort((a, b) => rank(a) - rank(b));
}
