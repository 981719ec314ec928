// The patient's unread notification count, shared by the header and the notifications page:
// fetched on sign-in, every minute, and again whenever a page marks something read.
import { useEffect, useState } from "react";
import { api, call } from "../api/client";

const POLL_MS = 60_000;
const listeners = new Set<(n: number) => void>();
let last = 0;

/** Fetches the count now and tells every listener. */
export async function refreshUnread(): Promise<void> {
  const r = await call(() => api.GET("/v1/patients/me/notifications/unread"));
  last = r.unread;
  for (const f of listeners) f(last);
}

/** The unread count while `enabled` (a signed-in patient), polled. */
export function useUnread(enabled: boolean): number {
  const [n, setN] = useState(last);
  useEffect(() => {
    if (!enabled) return;
    listeners.add(setN);
    void refreshUnread().catch(() => {});
    const timer = setInterval(() => void refreshUnread().catch(() => {}), POLL_MS);
    return () => {
      listeners.delete(setN);
      clearInterval(timer);
    };
  }, [enabled]);
  return enabled ? n : 0;
}
