import { describe, expect, it } from "vitest";
import { checkAbhaNumber, formatAbhaNumber, validAbhaAddress } from "../src/lib/abha";

describe("ABHA numbers", () => {
  it("accepts the documented example with and without hyphens", () => {
    expect(checkAbhaNumber("91-2345-6789-0129")).toEqual({ ok: true, digits: "91234567890129" });
    expect(checkAbhaNumber("91234567890129").ok).toBe(true);
  });
  it("says what is wrong", () => {
    expect(checkAbhaNumber("91-2345")).toEqual({ ok: false, reason: "length", n: 6 });
    expect(checkAbhaNumber("91234567890128")).toEqual({ ok: false, reason: "luhn", n: 14 });
    expect(checkAbhaNumber("9123x")).toMatchObject({ ok: false, reason: "chars" });
  });
  it("formats and checks addresses", () => {
    expect(formatAbhaNumber("91234567890129")).toBe("91-2345-6789-0129");
    expect(validAbhaAddress("Asha.K@abdm")).toBe(true);
    expect(validAbhaAddress("asha@gmail.com")).toBe(false);
  });
});
