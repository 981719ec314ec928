// The catalogue's fallback: a key no language has (an API error code the page does not know
// yet) comes back as itself, so errorText can show the server's own message instead of nothing.
import { describe, expect, it } from "vitest";
import { translate, type Key } from "../src/i18n";

describe("translate", () => {
  it("a known key in each language", () => {
    expect(translate("en", "action.cancel")).toBe("Cancel");
    expect(translate("hi", "action.cancel")).not.toBe("Cancel");
  });
  it("an unknown key comes back as itself, with or without variables", () => {
    expect(translate("en", "error.invalid_url" as Key)).toBe("error.invalid_url");
    expect(translate("hi", "error.invalid_url" as Key, { n: 1 })).toBe("error.invalid_url");
  });
});
