// Strings of the access pages (English, Hindi).
const en = {
  "access.title": "Access history",
} as const;

const hi: Record<keyof typeof en, string> = {
  "access.title": "पहुँच का इतिहास",
};

export const access = { en, hi };
