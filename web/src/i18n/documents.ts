// Strings of the documents pages (English, Hindi).
const en = {
  "documents.title": "Documents",
} as const;

const hi: Record<keyof typeof en, string> = {
  "documents.title": "दस्तावेज़",
};

export const documents = { en, hi };
