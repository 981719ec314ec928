// The Staff page (docs/staff.md), for the hospital's administrators and its API-secret
// session: invite a person in a role (the one-time code shown once), the people with their
// status, "Give keys" (this browser seals the unlocked hospital keys to the person's own public
// key; the server stores only the sealed bundle) and "Disable" after a confirmation.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, call, type Schemas } from "../api/client";
import { fromHex, toHex } from "../crypto/bytes";
import { Page } from "../Layout";
import { cryptoClient } from "../state/keys";
import { useUnlocked } from "../state/hooks";
import { Alert, Field, Select } from "../ui";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { useHT, useHospitalError, type HKey } from "./strings";

type Member = Schemas["StaffView"];
const ROLES = ["clinician", "records_clerk", "administrator"] as const;
const STATUS_BADGE: Record<string, string> = { active: "badge-ok", invited: "badge-warn", disabled: "badge-err" };

export function Staff({ hospitalId, selfId }: { hospitalId: string; selfId: string | null }) {
  const ht = useHT();
  const describe = useHospitalError();
  const [members, setMembers] = useState<Member[] | null>(null);
  const [hfrId, setHfrId] = useState<string | null>(null);
  useEffect(() => {
    call(() => api.GET("/v1/hospitals"))
      .then((list) => setHfrId(list.find((h) => h.id === hospitalId)?.hfr_id ?? null))
      .catch(() => {});
  }, [hospitalId]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      setMembers(await call(() => api.GET("/v1/hospitals/me/staff")));
    } catch (e) {
      setError(describe(e));
    }
  }, [describe]);
  useEffect(() => {
    void reload();
  }, [reload]);

  return (
    <Page title={ht("h.staff.title")}>
      <p className="muted">{ht("h.staff.intro")}</p>
      <InviteForm onInvited={() => void reload()} />
      <section className="card" aria-labelledby="staff-people">
        <h2 id="staff-people">{ht("h.staff.list.title")}</h2>
        {error && <Alert>{error}</Alert>}
        <div role="status">{notice && <Alert kind="ok">{notice}</Alert>}</div>
        {members?.length === 0 && <p>{ht("h.staff.list.none")}</p>}
        <ul className="staff-list">
          {members?.map((m) => (
            <MemberRow
              key={m.id}
              m={m}
              hfrId={hfrId}
              self={m.id === selfId}
              onChanged={(text) => {
                setNotice(text);
                setError(null);
                void reload();
              }}
              onError={(text) => {
                setNotice(null);
                setError(text);
              }}
            />
          ))}
        </ul>
      </section>
    </Page>
  );
}

function InviteForm({ onInvited }: { onInvited(): void }) {
  const ht = useHT();
  const describe = useHospitalError();
  const [name, setName] = useState("");
  const [role, setRole] = useState<(typeof ROLES)[number]>("clinician");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [code, setCode] = useState<{ name: string; code: string } | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const invited = await call(() => api.POST("/v1/hospitals/me/staff", { body: { name: name.trim(), role } }));
      setCode({ name: invited.member.name, code: invited.invite_code });
      setName("");
      onInvited();
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  if (code) {
    return (
      <OneTimeSecret
        title={ht("h.staff.code.title")}
        label={ht("h.staff.code.label", { name: code.name })}
        secret={code.code}
        warning={ht("h.staff.code.warning")}
        onDone={() => setCode(null)}
      />
    );
  }
  return (
    <section className="card" aria-labelledby="staff-invite">
      <h2 id="staff-invite">{ht("h.staff.invite.title")}</h2>
      <form onSubmit={submit} aria-label={ht("h.staff.invite.title")}>
        {error && <Alert>{error}</Alert>}
        <Field label={ht("h.staff.invite.name")} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        <Select label={ht("h.staff.invite.role")} value={role} onChange={(e) => setRole(e.target.value as (typeof ROLES)[number])}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ht(`h.staff.role.${r}` as HKey)}
            </option>
          ))}
        </Select>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? ht("h.staff.invite.busy") : ht("h.staff.invite.submit")}
        </button>
      </form>
    </section>
  );
}

function MemberRow({
  m,
  hfrId,
  self,
  onChanged,
  onError,
}: {
  m: Member;
  hfrId: string | null;
  self: boolean;
  onChanged(text: string): void;
  onError(text: string): void;
}) {
  const ht = useHT();
  const describe = useHospitalError();
  const unlocked = useUnlocked();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [role, setRole] = useState(m.role);

  async function giveKeys() {
    if (!unlocked || !m.public_key) return;
    setBusy(true);
    try {
      const sealed = await cryptoClient().sealStaff(unlocked.key, fromHex(m.public_key), m.id);
      await call(() =>
        api.POST("/v1/hospitals/me/staff/{id}/keys", {
          params: { path: { id: m.id } },
          body: { sealed_keys: toHex(sealed), public_key: m.public_key! },
        }),
      );
      onChanged(ht("h.staff.give.done", { name: m.name }));
    } catch (e) {
      onError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  async function disable() {
    setBusy(true);
    try {
      await call(() => api.POST("/v1/hospitals/me/staff/{id}/disable", { params: { path: { id: m.id } } }));
      setConfirming(false);
      onChanged(ht("h.staff.disable.done", { name: m.name }));
    } catch (e) {
      onError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  async function changeRole(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    try {
      const changed = await call(() =>
        api.POST("/v1/hospitals/me/staff/{id}/role", { params: { path: { id: m.id } }, body: { role } }),
      );
      onChanged(ht("h.staff.role.done", { name: m.name, role: ht(`h.staff.role.${changed.role}` as HKey) }));
    } catch (err) {
      setRole(m.role);
      onError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  const login = m.username ? (hfrId ? `${hfrId}/${m.username}` : m.username) : null;
  return (
    <li className="staff-member">
      <h3>
        {m.name}
        {self && ` (${ht("h.staff.you")})`}
      </h3>
      <p>
        <span className="badge">{ht(`h.staff.role.${m.role}` as HKey)}</span>{" "}
        <span className={`badge ${STATUS_BADGE[m.status] ?? ""}`}>{ht(`h.staff.status.${m.status}` as HKey)}</span>
      </p>
      {login && <p className="muted">{ht("h.staff.list.username", { login })}</p>}
      {m.status === "active" && <p>{m.has_keys ? ht("h.staff.list.keys") : ht("h.staff.list.noKeys")}</p>}
      {m.status === "active" && !unlocked && !m.has_keys && <p className="muted">{ht("h.staff.give.locked")}</p>}
      {m.status !== "disabled" && !self && (
        <form className="role-form" onSubmit={changeRole}>
          <Select
            label={ht("h.staff.role.label", { name: m.name })}
            value={role}
            onChange={(e) => setRole(e.target.value)}
            disabled={busy}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ht(`h.staff.role.${r}` as HKey)}
              </option>
            ))}
          </Select>
          {role !== m.role && (
            <button type="submit" disabled={busy}>
              {busy ? ht("h.staff.role.busy") : ht("h.staff.role.save")}
            </button>
          )}
        </form>
      )}
      {confirming ? (
        <div role="alertdialog" aria-labelledby={`confirm-${m.id}`} className="confirm">
          <p id={`confirm-${m.id}`}>{ht("h.staff.disable.confirm", { name: m.name })}</p>
          <button type="button" className="danger" onClick={() => void disable()} disabled={busy}>
            {ht("h.staff.disable.yes", { name: m.name })}
          </button>{" "}
          <button type="button" onClick={() => setConfirming(false)} disabled={busy}>
            {ht("h.staff.disable.no")}
          </button>
        </div>
      ) : (
        <div className="actions">
          {m.status === "active" && unlocked && (
            <button type="button" onClick={() => void giveKeys()} disabled={busy}>
              {busy ? ht("h.staff.give.busy") : ht("h.staff.give")}
            </button>
          )}
          {m.status !== "disabled" && !self && (
            <button type="button" onClick={() => setConfirming(true)} disabled={busy}>
              {ht("h.staff.disable")}
            </button>
          )}
        </div>
      )}
    </li>
  );
}
