// React hooks over the session (api/client.ts) and the unlocked keys (state/keys.ts).
import { useEffect, useState } from "react";
import { currentSession, onSessionChange } from "../api/client";
import { onUnlockedChange, unlockedKeys } from "./keys";

export function useSession() {
  const [s, setS] = useState(currentSession);
  useEffect(() => onSessionChange(setS), []);
  return s;
}

export function useUnlocked() {
  const [u, setU] = useState(unlockedKeys);
  useEffect(() => onUnlockedChange(setU), []);
  return u;
}
