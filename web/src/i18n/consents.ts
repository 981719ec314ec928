// Strings of the consents pages (English, Hindi).
const en = {
  "consents.title": "Consents",
} as const;

const hi: Record<keyof typeof en, string> = {
  "consents.title": "सहमतियाँ",
};

export const consents = { en, hi };
