// The notifications page: what happened to the patient's record, newest first. Opening the page
// shows which are new; "mark all as read" (or opening one) clears the header's count.
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { api, call, type Schemas } from "../api/client";
import { formatDate, useLang, useT, type Key } from "../i18n";
import { Page } from "../Layout";
import { refreshUnread } from "../lib/unread";
import { ErrorAlert } from "../ui";

type NotificationView = Schemas["NotificationView"];

const PAGE = 20;

function target(n: NotificationView): string | null {
  switch (n.kind) {
    case "consent_requested":
    case "grant_expiring":
      return n.subject_id ? `/consents/${n.subject_id}` : "/consents";
    case "document_added":
      return n.subject_id ? `/documents/${n.subject_id}` : "/documents";
    case "first_access":
      return "/access";
    case "abha_verified":
      return "/account";
    default:
      return null;
  }
}

export function Notifications() {
  const t = useT();
  const { lang } = useLang();
  const [items, setItems] = useState<NotificationView[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState(false);

  const load = useCallback(async (before?: string) => {
    setError(null);
    try {
      const page = await call(() =>
        api.GET("/v1/patients/me/notifications", { params: { query: { limit: PAGE, ...(before ? { before } : {}) } } }),
      );
      setItems((old) => (before ? [...old, ...page.items] : page.items));
      setNext(page.next ?? null);
    } catch (e) {
      setError(e);
    } finally {
      setLoaded(true);
    }
  }, []);

  useEffect(() => {
    void load();
    // The header's count catches up with what this page shows, not at the next poll.
    void refreshUnread().catch(() => {});
  }, [load]);

  const markAll = async () => {
    setError(null);
    try {
      await call(() => api.POST("/v1/patients/me/notifications/read"));
      const now = new Date().toISOString();
      setItems((old) => old.map((n) => ({ ...n, read_at: n.read_at ?? now })));
      await refreshUnread();
    } catch (e) {
      setError(e);
    }
  };

  const markOne = async (id: string) => {
    try {
      await call(() => api.POST("/v1/patients/me/notifications/{id}/read", { params: { path: { id } } }));
      await refreshUnread();
    } catch {
      // Opening the target matters more than the mark; the count catches up on the next poll.
    }
  };

  const unread = items.some((n) => !n.read_at);
  return (
    <Page
      title={t("notif.title")}
      actions={
        unread ? (
          <button type="button" onClick={markAll}>
            {t("notif.markAll")}
          </button>
        ) : undefined
      }
    >
      <ErrorAlert error={error} />
      {loaded && items.length === 0 && !error && <p>{t("notif.empty")}</p>}
      <ul className="list notifications">
        {items.map((n) => {
          const hospital = n.hospital_name ?? t("notif.aHospital");
          const to = target(n);
          const text = t(`notif.kind.${n.kind}` as Key, { hospital });
          return (
            <li key={n.id} className={n.read_at ? "read" : "unread"}>
              <div>
                {!n.read_at && <span className="badge">{t("notif.new")}</span>} <span>{text}</span>
              </div>
              <div className="muted">{formatDate(lang, n.created_at, true)}</div>
              {to && (
                <Link to={to} onClick={() => void markOne(n.id)}>
                  {t("notif.open")}
                </Link>
              )}
            </li>
          );
        })}
      </ul>
      {next && (
        <button type="button" className="quiet" onClick={() => void load(next)}>
          {t("notif.more")}
        </button>
      )}
    </Page>
  );
}
