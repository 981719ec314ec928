// Which hospitals may add documents to the patient's record (care-context links): a hospital
// asks, the patient lets it or refuses, and can end a link at any time. Documents a hospital
// already added stay in the record; it is reading them that consents decide.
import { useCallback, useEffect, useState } from "react";
import { api, call, type Schemas } from "../../api/client";
import { formatDate, useLang } from "../../i18n";
import { Alert, ErrorAlert } from "../../ui";
import { ConfirmDialog } from "./Decide";

type LinkView = Schemas["LinkView"];
type Action = "approve" | "deny" | "end";

export function LinksSection() {
  const { t, lang } = useLang();
  const [list, setList] = useState<LinkView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [asking, setAsking] = useState<{ link: LinkView; action: Action } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    call(() => api.GET("/v1/links"))
      .then((l) => {
        setList(l);
        setError(null);
      })
      .catch(setError);
  }, []);
  useEffect(load, [load]);

  async function act(link: LinkView, action: Action) {
    setAsking(null);
    setBusy(true);
    setNotice(null);
    setError(null);
    try {
      const path = { params: { path: { id: link.id } } };
      if (action === "approve") await call(() => api.POST("/v1/links/{id}/approve", path));
      else if (action === "deny") await call(() => api.POST("/v1/links/{id}/deny", path));
      else await call(() => api.POST("/v1/links/{id}/end", path));
      setNotice(t(`links.done.${action}`, { hospital: link.hospital_name }));
      load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const asked = list?.filter((l) => l.status === "REQUESTED") ?? [];
  const linked = list?.filter((l) => l.status === "LINKED") ?? [];
  const title = t("links.title");
  return (
    <section aria-label={title} className="consent-section">
      <h2>{title}</h2>
      <p className="muted">{t("links.intro")}</p>
      <ErrorAlert error={error} />
      {notice && <Alert kind="ok">{notice}</Alert>}
      {list && asked.length + linked.length === 0 && <p className="muted">{t("links.none")}</p>}
      {asked.length + linked.length > 0 && (
        <ul className="list">
          {[...asked, ...linked].map((l) => (
            <li key={l.id} className="consent-item" data-status={l.status}>
              <p className="consent-line">
                <strong>{l.hospital_name}</strong>{" "}
                <span className={`badge ${l.status === "LINKED" ? "badge-ok" : "badge-warn"}`}>{t(`links.status.${l.status as "LINKED" | "REQUESTED"}`)}</span>
              </p>
              <p className="muted">
                {l.status === "LINKED"
                  ? t("links.since", { date: formatDate(lang, l.decided_at ?? l.requested_at) })
                  : t("links.asked", { date: formatDate(lang, l.requested_at), hfr: l.hospital_hfr_id })}
              </p>
              <div className="actions">
                {l.status === "REQUESTED" ? (
                  <>
                    <button type="button" className="primary" disabled={busy} onClick={() => setAsking({ link: l, action: "approve" })}>
                      {t("links.approve")}
                    </button>
                    <button type="button" disabled={busy} onClick={() => setAsking({ link: l, action: "deny" })}>
                      {t("links.deny")}
                    </button>
                  </>
                ) : (
                  <button type="button" disabled={busy} onClick={() => setAsking({ link: l, action: "end" })}>
                    {t("links.end")}
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={asking !== null}
        title={asking ? t(`links.${asking.action}`) : ""}
        confirm={asking ? t(`links.${asking.action}`) : ""}
        danger={asking?.action === "end"}
        onConfirm={() => asking && void act(asking.link, asking.action)}
        onCancel={() => setAsking(null)}
      >
        <p>{asking ? t(`links.confirm.${asking.action}`, { hospital: asking.link.hospital_name }) : ""}</p>
      </ConfirmDialog>
    </section>
  );
}
