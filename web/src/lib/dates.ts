// Calendar dates (YYYY-MM-DD, no time of day) shown in the page's language. `new Date(day)` is
// midnight UTC, so the day is formatted in UTC to show the same day in every time zone.
import type { Lang } from "../i18n";

export function formatDay(lang: Lang, day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return day;
  return new Intl.DateTimeFormat(lang === "hi" ? "hi-IN" : "en-IN", { dateStyle: "medium", timeZone: "UTC" }).format(d);
}
