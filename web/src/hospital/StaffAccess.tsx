// Hospital staff in the portal (docs/staff.md): a member's own sign-in (HFR id, username,
// password), accepting an invitation (the member's own key made and saved in this browser),
// and the gate that opens the hospital's keys an administrator sealed to the member. The
// member's own keystore is saved under `staff:<member id>`; the hospital's keys are opened in
// the crypto worker and never saved.
import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { Link } from "react-router";
import { ApiError, api, call, login, logout, type Schemas, type TokenResponse } from "../api/client";
import { fromHex, toHex } from "../crypto/bytes";
import type { Unlocked } from "../crypto/worker";
import { Page } from "../Layout";
import { cryptoClient, savedKeystore, saveKeystore, setUnlocked } from "../state/keys";
import { Alert, Field } from "../ui";
import { SecondFactorStep, challengeOf, type Challenge } from "../ui/SecondFactorStep";
import { useHT, useHospitalError } from "./strings";

export type StaffMember = Schemas["StaffView"];

/** Where a member's own keystore is saved in this browser. */
const staffScope = (memberId: string) => `staff:${memberId}`;

/**
 * The signed-in staff member: undefined while asking, null for the hospital's API-secret
 * session (no member), else the member.
 */
export function useStaffMember(subjectId: string | undefined): { member: StaffMember | null | undefined; error: unknown } {
  const [member, setMember] = useState<StaffMember | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!subjectId) return;
    let live = true;
    setMember(undefined);
    call(() => api.GET("/v1/hospitals/me/staff/me"))
      .then((m) => live && setMember(m))
      .catch((e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.code === "not_staff") setMember(null);
        else setError(e);
      });
    return () => {
      live = false;
    };
  }, [subjectId]);
  return { member, error };
}

export function StaffSignIn() {
  const ht = useHT();
  const describe = useHospitalError();
  const [hfr, setHfr] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [challenge, setChallenge] = useState<Challenge | null>(null);

  async function signedIn(t: TokenResponse) {
    setPassword("");
    setChallenge(null);
    if (t.role !== "hospital") {
      await logout().catch(() => {});
      setError(ht("h.login.notHospital"));
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signedIn(await login(`${hfr.trim().toUpperCase()}/${username.trim().toLowerCase()}`, password));
    } catch (err) {
      const c = challengeOf(err);
      if (c) {
        setChallenge(c);
        setPassword("");
      } else {
        setError(err instanceof ApiError && err.code === "unauthorized" ? ht("h.staff.login.wrong") : describe(err));
      }
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    document.title = `${ht("h.staff.login.title")} · Pramana`;
  }, [ht]);
  return (
    <div className="narrow">
    <section className="card">
      <h1>{ht("h.staff.login.title")}</h1>
      <p className="muted">{ht("h.staff.login.intro")}</p>
      {challenge ? (
        <SecondFactorStep
          challenge={challenge}
          label={ht("h.staff.login.title")}
          error={error && <Alert>{error}</Alert>}
          words={{
            intro: ht("h.staff.login.code.intro"),
            code: ht("h.staff.login.code"),
            hint: ht("h.staff.login.code.hint"),
            submit: ht("h.login.submit"),
            busy: ht("h.login.busy"),
            back: ht("h.staff.login.back"),
            passkeyIntro: ht("h.staff.login.passkey.intro"),
            passkey: ht("h.staff.login.passkey"),
            or: ht("h.staff.login.or"),
          }}
          onSignedIn={signedIn}
          onFailed={(err) => {
            if (err instanceof ApiError && err.code === "challenge_invalid") setChallenge(null);
            setError(describe(err));
          }}
          onBack={() => {
            setChallenge(null);
            setError(null);
          }}
        />
      ) : (
      <form onSubmit={submit} aria-label={ht("h.staff.login.title")}>
        {error && <Alert>{error}</Alert>}
        <Field
          label={ht("h.login.hfr")}
          hint={ht("h.login.hfr.hint")}
          autoCapitalize="characters"
          spellCheck={false}
          required
          value={hfr}
          onChange={(e) => setHfr(e.target.value)}
        />
        <Field
          label={ht("h.staff.login.username")}
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Field
          label={ht("h.staff.login.password")}
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? ht("h.login.busy") : ht("h.login.submit")}
        </button>
      </form>
      )}
      <p>
        <Link to="/hospital/accept">{ht("h.staff.login.accept")}</Link>
      </p>
      <p>
        <Link to="/hospital">{ht("h.staff.login.machine")}</Link>
      </p>
    </section>
    </div>
  );
}

export function AcceptInvitation() {
  const ht = useHT();
  const describe = useHospitalError();
  const [code, setCode] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    let created: Awaited<ReturnType<ReturnType<typeof cryptoClient>["create"]>> | null = null;
    try {
      created = await cryptoClient().create(passphrase);
      const accepted = await call(() =>
        api.POST("/v1/auth/staff-invitations/accept", {
          body: { code: code.trim(), username: username.trim().toLowerCase(), password, public_key: toHex(created!.x25519Public) },
        }),
      );
      await saveKeystore(staffScope(accepted.member.id), created.keystore);
      setPassword("");
      setPassphrase("");
      setDone(accepted.login);
    } catch (err) {
      setError(describe(err));
    } finally {
      if (created) void cryptoClient().forget(created.key);
      setBusy(false);
    }
  }

  return (
    <div className="narrow">
      <Page title={ht("h.staff.accept.title")}>
        <section className="card">
          <p className="muted">{ht("h.staff.accept.intro")}</p>
          {done ? (
            <>
              <Alert kind="ok">{ht("h.staff.accept.done", { login: done })}</Alert>
              <p>
                <Link to="/hospital">{ht("h.staff.accept.signIn")}</Link>
              </p>
            </>
          ) : (
            <form onSubmit={submit} aria-label={ht("h.staff.accept.title")}>
              {error && <Alert>{error}</Alert>}
              <Field
                label={ht("h.staff.accept.code")}
                hint={ht("h.staff.accept.code.hint")}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
              <Field
                label={ht("h.staff.login.username")}
                hint={ht("h.staff.accept.username.hint")}
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                required
                value={username}
                onChange={(e) => setUsername(e.target.value)}
              />
              <Field
                label={ht("h.staff.login.password")}
                hint={ht("h.staff.accept.password.hint")}
                type="password"
                autoComplete="new-password"
                required
                minLength={12}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
              <Field
                label={ht("h.staff.accept.passphrase")}
                hint={ht("h.staff.accept.passphrase.hint")}
                type="password"
                autoComplete="new-password"
                required
                minLength={12}
                value={passphrase}
                onChange={(e) => setPassphrase(e.target.value)}
              />
              <button type="submit" className="primary" disabled={busy}>
                {busy ? ht("h.staff.accept.busy") : ht("h.staff.accept.submit")}
              </button>
            </form>
          )}
        </section>
      </Page>
    </div>
  );
}

type GateStage = { kind: "loading" } | { kind: "missing" } | { kind: "unlock"; text: string } | { kind: "waiting"; own: Unlocked };

/**
 * Opens the hospital's keys for a member: their own key (saved in this browser) unlocked with
 * its passphrase opens the bundle an administrator sealed to it; the result must be the
 * hospital's registered key. Administrators may go on without the keys (to invite and disable).
 */
export function StaffKeysGate({ member, unlocked, children }: { member: StaffMember; unlocked: boolean; children: ReactNode }) {
  const ht = useHT();
  const describe = useHospitalError();
  const [stage, setStage] = useState<GateStage>({ kind: "loading" });
  const [passphrase, setPassphrase] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [skipped, setSkipped] = useState(false);

  useEffect(() => {
    let live = true;
    savedKeystore(staffScope(member.id))
      .then((saved) => live && setStage(saved ? { kind: "unlock", text: saved.text } : { kind: "missing" }))
      .catch((e: unknown) => live && setError(describe(e)));
    return () => {
      live = false;
    };
  }, [member.id, describe]);

  const openHospitalKeys = useCallback(
    async (own: Unlocked) => {
      let sealed: Schemas["StaffKeys"];
      try {
        sealed = await call(() => api.GET("/v1/hospitals/me/staff/me/keys"));
      } catch (e) {
        if (e instanceof ApiError && e.code === "no_staff_keys") {
          setStage({ kind: "waiting", own });
          return;
        }
        throw e;
      }
      const hospital = await cryptoClient().openStaff(own.key, fromHex(sealed.sealed_keys), member.id);
      const keys = await call(() => api.GET("/v1/keys"));
      const current = keys.find((k) => k.kind === "x25519" && !k.retired_at);
      if (!current || current.public_key !== toHex(hospital.x25519Public)) {
        await cryptoClient().forget(hospital.key);
        setStage({ kind: "waiting", own });
        setError(ht("h.staff.keys.wrong"));
        return;
      }
      await cryptoClient().forget(own.key);
      setUnlocked(hospital);
    },
    [member.id, ht],
  );

  if (unlocked || skipped) return <>{children}</>;

  async function unlock(e: FormEvent) {
    e.preventDefault();
    if (stage.kind !== "unlock") return;
    setBusy(true);
    setError(null);
    try {
      const own = await cryptoClient().unlock(stage.text, passphrase);
      setPassphrase("");
      if (toHex(own.x25519Public) !== member.public_key) {
        await cryptoClient().forget(own.key);
        setStage({ kind: "missing" });
        return;
      }
      await openHospitalKeys(own);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  async function retry() {
    if (stage.kind !== "waiting") return;
    setBusy(true);
    setError(null);
    try {
      await openHospitalKeys(stage.own);
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="narrow">
      <section className="card">
        <h1>{ht("h.staff.keys.title")}</h1>
        <p>{ht("h.staff.keys.intro")}</p>
        {error && <Alert>{error}</Alert>}
        {stage.kind === "missing" && <Alert kind="warn">{ht("h.staff.keys.missing")}</Alert>}
        {stage.kind === "unlock" && (
          <form onSubmit={unlock} aria-label={ht("h.staff.keys.title")}>
            <Field
              label={ht("h.staff.keys.passphrase")}
              type="password"
              autoComplete="current-password"
              required
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
            />
            <button type="submit" className="primary" disabled={busy}>
              {busy ? ht("h.staff.keys.busy") : ht("h.staff.keys.unlock")}
            </button>
          </form>
        )}
        {stage.kind === "waiting" && (
          <>
            <Alert kind="info">{ht("h.staff.keys.waiting")}</Alert>
            <button type="button" onClick={() => void retry()} disabled={busy}>
              {ht("h.staff.keys.retry")}
            </button>
          </>
        )}
        {member.role === "administrator" && stage.kind !== "loading" && (
          <p>
            <button type="button" className="link" onClick={() => setSkipped(true)}>
              {ht("h.staff.keys.continue")}
            </button>
          </p>
        )}
      </section>
    </div>
  );
}
