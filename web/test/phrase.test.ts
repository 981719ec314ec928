// The recovery phrase against the CLI's own derivation (cli/testdata/recovery-phrase-vectors.json,
// written by cli/src/phrase.rs), and the refusals a person typing it can meet.
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/crypto/bytes";
import { identityFromSecret } from "../src/crypto/envelope";
import { createKeystore, unlockKeystore } from "../src/crypto/keystore";
import { PhraseError, phraseFromSeed, secretsFromSeed, seedFromPhrase } from "../src/crypto/phrase";
import { repoFile } from "./helpers";

const { vectors } = JSON.parse(repoFile("cli/testdata/recovery-phrase-vectors.json")) as {
  vectors: { seed: string; phrase: string; x25519_public: string; eth_address: string }[];
};

describe("recovery phrase (the CLI's vectors)", () => {
  it.each(vectors)("$phrase", async (v) => {
    const seed = fromHex(v.seed);
    expect(phraseFromSeed(seed)).toBe(v.phrase);
    expect(toHex(seedFromPhrase(v.phrase))).toBe(v.seed);
    const s = await secretsFromSeed(seed);
    expect(toHex((await identityFromSecret(s.x25519)).publicKey)).toBe(v.x25519_public);
    expect(privateKeyToAccount(`0x${toHex(s.secp256k1)}`).address).toBe(v.eth_address);
  });

  it("takes any spacing and letter case", () => {
    const v = vectors[2]!;
    expect(toHex(seedFromPhrase(`  ${v.phrase.toUpperCase().replaceAll(" ", "\n ")}  `))).toBe(v.seed);
  });

  it("names what is wrong with a phrase", () => {
    const words = vectors[3]!.phrase.split(" ");
    const reason = (text: string) => {
      try {
        seedFromPhrase(text);
        return "accepted";
      } catch (e) {
        return e instanceof PhraseError ? e.message : String(e);
      }
    };
    expect(reason(words.slice(0, 23).join(" "))).toBe("count");
    expect(reason([...words.slice(0, 4), "pramana", ...words.slice(5)].join(" "))).toBe("unknown:5");
    const swapped = [words[1]!, words[0]!, ...words.slice(2)];
    if (swapped.join(" ") !== words.join(" ")) expect(reason(swapped.join(" "))).toBe("checksum");
    expect(PhraseError.fromMessage("unknown:5")).toMatchObject({ reason: "unknown", word: 5 });
  });

  it("makes a keystore that unlocks to the phrase's keys", async () => {
    const v = vectors[1]!;
    const secrets = await secretsFromSeed(fromHex(v.seed));
    const kdf = { m_kib: 64, t: 1, p: 1 };
    const { file } = await createKeystore("a passphrase of length", { secrets, kdf });
    expect(file.x25519_public).toBe(v.x25519_public);
    expect(file.eth_address).toBe(v.eth_address);
    const keys = await unlockKeystore(file, "a passphrase of length");
    expect(keys.address).toBe(v.eth_address);
  });
});
