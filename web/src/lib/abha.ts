// ABHA numbers and addresses as the API accepts them (core/src/abha.rs): 14 digits, hyphens
// optional (XX-XXXX-XXXX-XXXX), the last a Luhn check digit; addresses name@abdm or name@sbx.

/** The digits typed so far (spaces and hyphens dropped), or null if anything else was typed. */
export function abhaDigits(input: string): string | null {
  const s = input.replace(/[\s-]/g, "");
  return /^\d*$/.test(s) ? s : null;
}

/** Luhn check of a string of digits (the last one is the check digit). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export type AbhaCheck = { ok: true; digits: string } | { ok: false; reason: "length" | "luhn" | "chars"; n: number };

export function checkAbhaNumber(input: string): AbhaCheck {
  const digits = abhaDigits(input);
  if (digits === null) return { ok: false, reason: "chars", n: 0 };
  if (digits.length !== 14) return { ok: false, reason: "length", n: digits.length };
  return luhnValid(digits) ? { ok: true, digits } : { ok: false, reason: "luhn", n: 14 };
}

/** XX-XXXX-XXXX-XXXX, as printed on the card. */
export function formatAbhaNumber(digits: string): string {
  return `${digits.slice(0, 2)}-${digits.slice(2, 6)}-${digits.slice(6, 10)}-${digits.slice(10, 14)}`;
}

export function validAbhaAddress(input: string): boolean {
  return /^[a-z0-9_][a-z0-9._]{0,63}@(abdm|sbx)$/.test(input.trim().toLowerCase());
}
