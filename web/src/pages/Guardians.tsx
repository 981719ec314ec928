// A parent or guardian's children (docs/guardians.md): the children's accounts they manage,
// adding one, and opening one — the browser then holds the child's session, and a banner says
// whose record it is and goes back. The child's keys are made on the Keys page the first time,
// as for any new account, and kept in this browser for the child's account.
import { useEffect, useState, type FormEvent } from "react";
import { api, call, switchSession, type Schemas } from "../api/client";
import { formatAbhaNumber } from "../lib/abha";
import { setUnlocked } from "../state/keys";
import { Alert, ErrorAlert, Field } from "../ui";
import { useCT } from "./caregiversStrings";

type DependentView = Schemas["DependentView"];

/** Opens a child's account or goes back to one's own, and starts the portal afresh there. */
async function switchTo(childId: string | null): Promise<void> {
  await switchSession(childId);
  setUnlocked(null);
  location.assign("/documents");
}

export function Children() {
  const t = useCT();
  const [list, setList] = useState<DependentView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const load = () => {
    call(() => api.GET("/v1/dependents"))
      .then(setList)
      .catch(setError);
  };
  useEffect(load, []);

  async function open(c: DependentView) {
    setOpening(c.id);
    setError(null);
    try {
      await switchTo(c.id);
    } catch (err) {
      setError(err);
      setOpening(null);
    }
  }

  return (
    <section className="card" aria-labelledby="children-title">
      <h2 id="children-title">{t("guardians.title")}</h2>
      <p>{t("guardians.intro")}</p>
      <ErrorAlert error={error} />
      {list && list.length === 0 && <p className="muted">{t("guardians.none")}</p>}
      {list && list.length > 0 && (
        <ul className="list caregivers" aria-label={t("guardians.title")}>
          {list.map((c) => (
            <li key={c.id} className="caregiver">
              <div>
                <strong>{c.name}</strong> <span className="muted">{formatAbhaNumber(c.abha_number)}</span>
              </div>
              {!c.has_keys && <div className="muted">{t("guardians.noKeys")}</div>}
              <div className="actions">
                <button type="button" disabled={opening !== null} onClick={() => void open(c)} aria-label={t("guardians.open.label", { name: c.name })}>
                  {opening === c.id ? t("guardians.opening") : t("guardians.open")}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <AddChild onAdded={load} />
    </section>
  );
}

function AddChild({ onAdded }: { onAdded(): void }) {
  const t = useCT();
  const [name, setName] = useState("");
  const [abha, setAbha] = useState("");
  const [address, setAddress] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const body = { name: name.trim(), abha_number: abha.trim(), abha_addresses: address.trim() ? [address.trim()] : [] };
      const c = await call(() => api.POST("/v1/dependents", { body }));
      setDone(t("guardians.added", { name: c.name }));
      setName("");
      setAbha("");
      setAddress("");
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby="add-child-title" noValidate>
      <h3 id="add-child-title">{t("guardians.add.title")}</h3>
      <ErrorAlert error={error} />
      {done && <Alert kind="ok">{done}</Alert>}
      <Field label={t("guardians.add.name")} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" required />
      <Field
        label={t("guardians.add.abha")}
        hint={t("guardians.add.abha.hint")}
        value={abha}
        onChange={(e) => setAbha(e.target.value)}
        inputMode="numeric"
        autoComplete="off"
        required
      />
      <Field label={t("guardians.add.address")} value={address} onChange={(e) => setAddress(e.target.value)} autoComplete="off" />
      <button type="submit" disabled={busy}>
        {busy ? t("guardians.add.busy") : t("guardians.add.submit")}
      </button>
    </form>
  );
}

/** In a guardian's session on a child's account: whose record this is, and the way back. */
export function GuardianBanner() {
  const t = useCT();
  const [name, setName] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    call(() => api.GET("/v1/patients/me"))
      .then((p) => setName(p.name))
      .catch(() => {});
  }, []);

  async function back() {
    setBusy(true);
    setError(null);
    try {
      await switchTo(null);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <div className="guardian-banner" role="region" aria-label={t("guardians.banner.label")}>
      <p>{name ? t("guardians.banner", { name }) : t("guardians.banner.unnamed")}</p>
      <button type="button" onClick={() => void back()} disabled={busy}>
        {busy ? t("guardians.opening") : t("guardians.back")}
      </button>
      <ErrorAlert error={error} />
    </div>
  );
}
