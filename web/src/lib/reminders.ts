// Medicine reminders through the browser's Notification permission: each reminder is a daily
// local time for a current medicine; while the portal is open and the keys unlocked, a
// notification appears at that time. (No push service: a closed tab reminds no one, and the
// page says so.) The reminders themselves live in the encrypted records index.
import type { Reminder } from "./recordIndex";

/** The next time at or after `now` when `time` ("HH:MM", local) comes round. */
export function nextAt(time: string, now: Date): Date | null {
  const m = /^(\d{2}):(\d{2})$/.exec(time);
  if (!m) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  if (h > 23 || min > 59) return null;
  const at = new Date(now);
  at.setHours(h, min, 0, 0);
  if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
  return at;
}

export interface Scheduler {
  /** Replaces the reminders being kept. */
  set(reminders: Reminder[]): void;
  /** Stops every reminder. */
  stop(): void;
}

/**
 * Keeps `reminders`: calls `notify` at each one's next time, then again a day later. Timers and
 * the clock are injectable for the tests.
 */
export function scheduler(
  notify: (r: Reminder) => void,
  clock: { now: () => Date; setTimeout: (f: () => void, ms: number) => unknown; clearTimeout: (t: unknown) => void } = {
    now: () => new Date(),
    setTimeout: (f, ms) => globalThis.setTimeout(f, ms),
    clearTimeout: (t) => globalThis.clearTimeout(t as number),
  },
): Scheduler {
  let timers: unknown[] = [];
  const stop = () => {
    timers.forEach((t) => clock.clearTimeout(t));
    timers = [];
  };
  const arm = (r: Reminder) => {
    const at = nextAt(r.time, clock.now());
    if (!at) return;
    // Browsers cap timers near 24.8 days; a day is far below.
    const t = clock.setTimeout(() => {
      timers = timers.filter((x) => x !== t);
      notify(r);
      arm(r);
    }, at.getTime() - clock.now().getTime());
    timers.push(t);
  };
  return {
    set(reminders) {
      stop();
      reminders.forEach(arm);
    },
    stop,
  };
}

/** Asks for the Notification permission if it was never asked; whether notifications may show. */
export async function notificationsAllowed(): Promise<boolean> {
  if (typeof Notification === "undefined") return false;
  if (Notification.permission === "default") await Notification.requestPermission();
  return Notification.permission === "granted";
}
