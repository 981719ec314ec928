// Medicine reminders: the next local time a daily reminder comes round, and a scheduler that
// notifies at it and again a day later, replaced or stopped as a whole.
import { describe, expect, it } from "vitest";
import { nextAt, scheduler } from "../src/lib/reminders";
import type { Reminder } from "../src/lib/recordIndex";

describe("reminders", () => {
  it("finds the next time a daily reminder comes round", () => {
    const now = new Date(2026, 10, 30, 9, 15);
    expect(nextAt("20:00", now)).toEqual(new Date(2026, 10, 30, 20, 0));
    expect(nextAt("08:00", now)).toEqual(new Date(2026, 11, 1, 8, 0));
    expect(nextAt("09:15", now)).toEqual(new Date(2026, 11, 1, 9, 15));
    expect(nextAt("24:00", now)).toBeNull();
    expect(nextAt("8am", now)).toBeNull();
  });

  it("notifies at each time and again a day later; set replaces, stop ends", () => {
    let now = new Date(2026, 10, 30, 7, 0).getTime();
    const timers = new Map<number, { at: number; f: () => void }>();
    let nextId = 1;
    const clock = {
      now: () => new Date(now),
      setTimeout: (f: () => void, ms: number) => {
        const id = nextId++;
        timers.set(id, { at: now + ms, f });
        return id;
      },
      clearTimeout: (id: unknown) => void timers.delete(id as number),
    };
    const advance = (ms: number) => {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].f();
      }
      now = end;
    };
    const seen: string[] = [];
    const s = scheduler((r: Reminder) => seen.push(`${r.medicine}@${new Date(now).getHours()}`), clock);
    s.set([
      { medicine: "Metformin", time: "08:00" },
      { medicine: "Metformin", time: "20:00" },
    ]);
    advance(26 * 3600_000); // to 09:00 the next day
    expect(seen).toEqual(["Metformin@8", "Metformin@20", "Metformin@8"]);
    s.set([{ medicine: "Atorvastatin", time: "21:00" }]);
    advance(24 * 3600_000);
    expect(seen.slice(3)).toEqual(["Atorvastatin@21"]);
    s.stop();
    expect(timers.size).toBe(0);
    advance(48 * 3600_000);
    expect(seen).toHaveLength(4);
  });
});
