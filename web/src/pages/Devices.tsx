// Devices (docs/devices.md). On the keys page, a new device of a signed-in account asks for the
// keys: it makes a key pair in the crypto worker, shows the code that commits to the public key
// (and a QR code of a link carrying the code and the whole key), waits, and saves the keys that
// arrive sealed to it under a passphrase of its own. On the account page, the list of signed-in
// devices (remove one, after saying what removal does and does not do) and "Add a device": look
// the code up, check it commits to the key the server gave, and seal the keys to it.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { renderSVG } from "uqr";
import { api, call, type Schemas } from "../api/client";
import { fromHex, toHex } from "../crypto/bytes";
import { codeFor, formatCode, normalizeCode } from "../crypto/pairing";
import type { PairingKey } from "../crypto/worker";
import { formatDate, useLang, useT } from "../i18n";
import { cryptoClient, saveKeystore, setUnlocked } from "../state/keys";
import { useUnlocked } from "../state/hooks";
import { Alert, ErrorAlert, Field, SecretPairFields, useSecretPair } from "../ui";

type DeviceView = Schemas["DeviceView"];
type PairingFound = Schemas["PairingFound"];

/** How often the new device asks whether its keys have arrived. */
const POLL_MS = 2000;

/** The link a QR code carries: the account page with the code and the whole public key. */
export function pairingLink(code: string, publicKey: Uint8Array): string {
  return `${window.location.origin}/account?pair=${code}&key=${toHex(publicKey)}`;
}

type PairStage =
  | { kind: "start" }
  | { kind: "waiting"; pk: PairingKey; id: string; code: string; expiresAt: string }
  | { kind: "expired" }
  | { kind: "received"; pk: PairingKey; id: string; sealed: Uint8Array };

/** The keys page's third way: this device gets the keys from another one. */
export function PairThisDevice(props: { subject: string; x25519Public?: string; onCancel(): void }) {
  const t = useT();
  const { lang } = useLang();
  const [stage, setStage] = useState<PairStage>({ kind: "start" });
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState<string | null>(null);

  async function start(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setMismatch(null);
    try {
      const pk = await cryptoClient().pairingKey();
      const mine = await codeFor(pk.publicKey);
      const body = { public_key: toHex(pk.publicKey), ...(name.trim() ? { name: name.trim() } : {}) };
      const created = await call(() => api.POST("/v1/devices/pairings", { body }));
      // The code shown is the one this device derived from its own key; the server's must agree.
      if (created.code !== mine) {
        setMismatch(t("pair.mismatch"));
        return;
      }
      setStage({ kind: "waiting", pk, id: created.id, code: mine, expiresAt: created.expires_at });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const waitingId = stage.kind === "waiting" ? stage.id : null;
  useEffect(() => {
    if (stage.kind !== "waiting") return;
    const { pk, id } = stage;
    let live = true;
    const tick = async () => {
      try {
        const s = await call(() => api.GET("/v1/devices/pairings/{id}", { params: { path: { id } } }));
        if (!live) return;
        if (s.state === "sealed" && s.sealed) setStage({ kind: "received", pk, id, sealed: fromHex(s.sealed) });
        else if (s.state === "expired" || s.state === "fetched") setStage({ kind: "expired" });
        else timer = window.setTimeout(() => void tick(), POLL_MS);
      } catch (err) {
        if (live) setError(err);
      }
    };
    let timer = window.setTimeout(() => void tick(), POLL_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
    // Once per pairing: the stage changes with every answer, the pairing does not.
  }, [waitingId]);

  return (
    <section aria-labelledby="pair-title">
      <h2 id="pair-title">{t("pair.title")}</h2>
      <ErrorAlert error={error} />
      {mismatch && <Alert>{mismatch}</Alert>}
      {stage.kind === "start" && (
        <form onSubmit={start} aria-label={t("pair.title")}>
          <p>{t("pair.intro")}</p>
          <Field
            label={t("pair.name")}
            hint={t("pair.name.hint")}
            maxLength={80}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t("pair.busy") : t("pair.show")}
          </button>{" "}
          <button type="button" className="link" onClick={props.onCancel}>
            {t("pair.cancel")}
          </button>
        </form>
      )}
      {stage.kind === "waiting" && (
        <div>
          <h3>{t("pair.code.title")}</h3>
          <p>{t("pair.code.steps")}</p>
          <dl className="facts">
            <dt>{t("pair.code.label")}</dt>
            <dd className="mono pairing-code" data-testid="pairing-code">
              {formatCode(stage.code)}
            </dd>
          </dl>
          <img
            className="qr"
            width={200}
            height={200}
            alt={t("pair.qr.alt")}
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(pairingLink(stage.code, stage.pk.publicKey), { border: 2 }))}`}
          />
          <p>{t("pair.expires", { time: formatDate(lang, stage.expiresAt, true) })}</p>
          <p aria-live="polite">{t("pair.waiting")}</p>
          <button type="button" className="link" onClick={props.onCancel}>
            {t("pair.cancel")}
          </button>
        </div>
      )}
      {stage.kind === "expired" && (
        <div>
          <Alert kind="warn">{t("pair.expired")}</Alert>
          <button type="button" onClick={() => setStage({ kind: "start" })}>
            {t("pair.again")}
          </button>
        </div>
      )}
      {stage.kind === "received" && (
        <SaveReceived subject={props.subject} x25519Public={props.x25519Public} pk={stage.pk} id={stage.id} sealed={stage.sealed} />
      )}
    </section>
  );
}

function SaveReceived(props: { subject: string; x25519Public?: string; pk: PairingKey; id: string; sealed: Uint8Array }) {
  const t = useT();
  const pair = useSecretPair(t("error.passphrase_short"), t("register.password.mismatch"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [wrong, setWrong] = useState(false);

  async function save(e: FormEvent) {
    e.preventDefault();
    if (!pair.ready) return;
    setBusy(true);
    setError(null);
    try {
      const created = await cryptoClient().pairingOpen(props.pk.key, props.id, props.sealed, pair.first);
      if (props.x25519Public && toHex(created.x25519Public) !== props.x25519Public) {
        await cryptoClient().forget(created.key);
        setWrong(true);
        return;
      }
      await saveKeystore(props.subject, created.keystore);
      setUnlocked({ key: created.key, address: created.address, x25519Public: created.x25519Public, signers: created.signers });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save} aria-label={t("pair.received.title")} noValidate>
      <h3>{t("pair.received.title")}</h3>
      <p>{t("pair.received.body")}</p>
      <ErrorAlert error={error} />
      {wrong && <Alert>{t("pair.wrongKeys")}</Alert>}
      <SecretPairFields
        pair={pair}
        label={t("pair.passphrase")}
        hint={t("keys.create.passphrase.hint")}
        again={t("pair.passphrase2")}
      />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? t("pair.saving") : t("pair.save")}
      </button>
    </form>
  );
}

/** The account page's devices: the list, removal, and giving the keys to a new device. */
export function DevicesSection() {
  const t = useT();
  const { lang } = useLang();
  const [items, setItems] = useState<DeviceView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<DeviceView | null>(null);
  const [removed, setRemoved] = useState<string | null>(null);

  async function load() {
    const list = await call(() => api.GET("/v1/devices"));
    setItems(list.items);
  }
  useEffect(() => {
    load().catch(setError);
  }, []);

  return (
    <section className="card" aria-labelledby="devices-title">
      <h2 id="devices-title">{t("devices.title")}</h2>
      <p>{t("devices.intro")}</p>
      <ErrorAlert error={error} />
      {removed && <Alert kind="ok">{removed}</Alert>}
      {items && items.length === 0 && <p>{t("devices.empty")}</p>}
      {items && items.length > 0 && (
        <ul className="list devices" aria-label={t("devices.title")}>
          {items.map((d) => (
            <li key={d.id} data-testid="device">
              <div>
                <strong>{d.name}</strong> {d.current && <span className="badge badge-ok">{t("devices.current")}</span>}
              </div>
              <div className="muted">
                {t("devices.signedIn", { date: formatDate(lang, d.created_at, true) })} ·{" "}
                {t("devices.lastSeen", { date: formatDate(lang, d.last_seen_at, true) })}
              </div>
              {!d.current && (
                <button type="button" className="danger" aria-label={`${t("devices.remove")} ${d.name}`} onClick={() => setRemoving(d)}>
                  {t("devices.remove")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {removing && (
        <RemoveDialog
          device={removing}
          onClose={() => setRemoving(null)}
          onRemoved={() => {
            setRemoved(t("devices.removed", { name: removing.name }));
            setRemoving(null);
            load().catch(setError);
          }}
        />
      )}
      <AddDevice onAdded={() => load().catch(setError)} />
    </section>
  );
}

function RemoveDialog(props: { device: DeviceView; onClose(): void; onRemoved(): void }) {
  const { device, onClose, onRemoved } = props;
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await call(() => api.DELETE("/v1/devices/{id}", { params: { path: { id: device.id } } }));
      onRemoved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} aria-labelledby="remove-device-title" aria-describedby="remove-device-body" onClose={onClose}>
      <h2 id="remove-device-title">{t("devices.remove.title", { name: device.name })}</h2>
      <div id="remove-device-body">
        <ul>
          <li>{t("devices.remove.signedOut")}</li>
          <li>{t("devices.remove.keys")}</li>
        </ul>
      </div>
      <ErrorAlert error={error} />
      <div className="actions">
        <button type="button" onClick={onClose} disabled={busy}>
          {t("action.cancel")}
        </button>
        <button type="button" className="danger" onClick={() => void remove()} disabled={busy}>
          {t("devices.remove.confirm")}
        </button>
      </div>
    </dialog>
  );
}

/** The code (and the key, when it came from a QR code's link) in the page's address. */
function linked(): { code: string; key: string | null } {
  const q = new URLSearchParams(window.location.search);
  return { code: q.get("pair") ?? "", key: q.get("key")?.toLowerCase() ?? null };
}

function AddDevice({ onAdded }: { onAdded(): void }) {
  const t = useT();
  const { lang } = useLang();
  const unlocked = useUnlocked();
  const [fromLink] = useState(linked);
  const [code, setCode] = useState(fromLink.code ? formatCode(fromLink.code) : "");
  const [found, setFound] = useState<PairingFound | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  async function find(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setMismatch(false);
    setDone(null);
    try {
      const typed = normalizeCode(code);
      const p = await call(() => api.POST("/v1/devices/pairings/find", { body: { code } }));
      // The code commits to the new device's key: a key the server swapped in fails here, and a
      // link's whole key must be the very key given.
      const key = fromHex(p.public_key);
      const keyMatches = typed !== null && (await codeFor(key)) === typed;
      const linkMatches = !fromLink.key || normalizeCode(fromLink.code) !== typed || fromLink.key === p.public_key;
      if (!keyMatches || !linkMatches) {
        setMismatch(true);
        return;
      }
      setFound(p);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function give() {
    if (!found || !unlocked) return;
    setBusy(true);
    setError(null);
    try {
      const sealed = await cryptoClient().pairingSeal(unlocked.key, fromHex(found.public_key), found.id, unlocked.signers.slice(1));
      await call(() => api.POST("/v1/devices/pairings/{id}/seal", { params: { path: { id: found.id } }, body: { sealed: toHex(sealed) } }));
      setDone(t("devices.add.done", { name: found.device_name }));
      setFound(null);
      setCode("");
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="add-device">
      <h3 id="add-device-title">{t("devices.add.title")}</h3>
      <p>{t("devices.add.steps")}</p>
      <p>{t("devices.add.what")}</p>
      <ErrorAlert error={error} />
      {mismatch && <Alert>{t("devices.add.mismatch")}</Alert>}
      {done && <Alert kind="ok">{done}</Alert>}
      {found ? (
        <div role="group" aria-labelledby="give-keys-title">
          <h4 id="give-keys-title">{t("devices.add.confirm.title", { name: found.device_name })}</h4>
          <p>{t("devices.add.confirm.body", { name: found.device_name, time: formatDate(lang, found.created_at, true) })}</p>
          <div className="actions">
            <button type="button" onClick={() => setFound(null)} disabled={busy}>
              {t("devices.add.cancel")}
            </button>
            <button type="button" className="primary" onClick={() => void give()} disabled={busy || !unlocked}>
              {t("devices.add.give")}
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={find} aria-labelledby="add-device-title">
          <Field
            label={t("devices.add.code")}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            required
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
          <button type="submit" disabled={busy || !code.trim()}>
            {t("devices.add.find")}
          </button>
        </form>
      )}
    </div>
  );
}
