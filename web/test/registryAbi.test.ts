// The pages' ConsentRegistry fragments against the contract's checked-in ABI: the same names,
// types, indexing and mutability, so a change to the contract fails here first.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { anchorAbi, consentAbi } from "../src/lib/registryAbi";

type Param = { name: string; type: string; indexed?: boolean };
type Item = { type: string; name?: string; inputs?: readonly Param[]; outputs?: readonly Param[]; stateMutability?: string };

const file = JSON.parse(readFileSync(new URL("../../abi/ConsentRegistry.json", import.meta.url), "utf8")) as Item[] | { abi: Item[] };
const contract: Item[] = Array.isArray(file) ? file : file.abi;
const shape = (ps: readonly Param[] | undefined) => (ps ?? []).map((p) => [p.type, p.indexed ?? false]);

describe("the pages' ConsentRegistry ABI", () => {
  for (const f of [...anchorAbi, ...consentAbi] as readonly Item[]) {
    it(`${f.type} ${f.name} is the contract's`, () => {
      const real = contract.find((c) => c.type === f.type && c.name === f.name);
      expect(real, `${f.name} is not in abi/ConsentRegistry.json`).toBeDefined();
      expect(shape(f.inputs)).toEqual(shape(real?.inputs));
      expect(shape(f.outputs)).toEqual(shape(real?.outputs));
      if (f.type === "function") expect(f.stateMutability).toBe(real?.stateMutability);
    });
  }
});
