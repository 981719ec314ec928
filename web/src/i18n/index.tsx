// The string catalogue: every string the pages show, in English and Hindi, in one typed
// catalogue assembled from one section per area (so each area's strings sit together).
// `t("key", { name })` fills `{name}` placeholders; a missing Hindi string is a type error.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { common } from "./common";
import { auth } from "./auth";
import { documents } from "./documents";
import { consents } from "./consents";
import { access } from "./access";
import { records } from "./records";
import { notifications } from "./notifications";
import { recovery } from "./recovery";
import { devices } from "./devices";
import { caregivers } from "./caregivers";

export type Lang = "en" | "hi";
export const LANGS: { code: Lang; name: string }[] = [
  { code: "en", name: "English" },
  { code: "hi", name: "हिन्दी" },
];

const en = { ...common.en, ...auth.en, ...documents.en, ...consents.en, ...access.en, ...records.en, ...notifications.en, ...recovery.en, ...devices.en, ...caregivers.en };
export type Key = keyof typeof en;
const hi: Record<Key, string> = { ...common.hi, ...auth.hi, ...documents.hi, ...consents.hi, ...access.hi, ...records.hi, ...notifications.hi, ...recovery.hi, ...devices.hi, ...caregivers.hi };
export const catalogue: Record<Lang, Record<Key, string>> = { en, hi };

export type Vars = Record<string, string | number>;
export type T = (key: Key, vars?: Vars) => string;

export function translate(lang: Lang, key: Key, vars?: Vars): string {
  // A key no catalogue has (an API error code the page does not know yet) comes back as itself,
  // so callers can tell and say something else (errorText shows the server's message).
  const s = catalogue[lang][key] ?? en[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
}

const LangContext = createContext<{ lang: Lang; setLang(l: Lang): void; t: T }>({
  lang: "en",
  setLang: () => {},
  t: (k, v) => translate("en", k, v),
});

const STORAGE_KEY = "pramana.lang"; // a display preference, nothing secret

export function LangProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem(STORAGE_KEY) === "hi" ? "hi" : "en"));
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(STORAGE_KEY, l);
    setLangState(l);
  }, []);
  const t = useCallback<T>((k, v) => translate(lang, k, v), [lang]);
  const value = useMemo(() => ({ lang, setLang, t }), [lang, setLang, t]);
  return <LangContext.Provider value={value}>{children}</LangContext.Provider>;
}

export function useLang() {
  return useContext(LangContext);
}

/** The translate function for the current language. */
export function useT(): T {
  return useContext(LangContext).t;
}

/** Dates and times in the page's language (India Standard Time is the browser's own zone). */
export function formatDate(lang: Lang, iso: string | Date, withTime = false): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  const opts: Intl.DateTimeFormatOptions = withTime
    ? { dateStyle: "medium", timeStyle: "short" }
    : { dateStyle: "medium" };
  return new Intl.DateTimeFormat(lang === "hi" ? "hi-IN" : "en-IN", opts).format(d);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
