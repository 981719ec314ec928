// Strings of the operator console (English, Hindi), kept out of the main catalogue so the
// patient's first page does not carry them: only the lazily loaded console imports this file.
// `useOT()` follows the language chosen in the header; a missing Hindi string is a type error.
import { useCallback } from "react";
import { ApiError } from "../api/client";
import { useLang, type Vars } from "../i18n";
import { errorText } from "../ui";

const en = {
  "op.nav.label": "Operator",
  "op.nav.health": "Platform health",
  "op.nav.hospitals": "Hospitals",
  "op.nav.auditors": "Auditors",
  "op.nav.account": "Account",

  "op.login.title": "Operator sign-in",
  "op.login.intro": "For the people who run this Pramana platform. Patients sign in on the main page.",
  "op.login.username": "Username",
  "op.login.password": "Password",
  "op.login.submit": "Sign in",
  "op.login.busy": "Signing in…",
  "op.login.patientLink": "Not the operator? Go to the patient sign-in",
  "op.login.2fa.intro": "This account has two-factor sign-in. Enter the 6-digit code your authenticator app shows now.",
  "op.login.2fa.code": "Code",
  "op.login.2fa.hint": "6 digits, or one of your recovery codes",
  "op.login.2fa.submit": "Verify and sign in",
  "op.login.2fa.back": "Start again",
  "op.login.2fa.passkey.intro": "Or use a passkey saved on this device or a security key.",
  "op.login.2fa.passkey": "Use a passkey",
  "op.login.2fa.or": "or",
  "op.login.notOperator": "This account is not the operator's. Nothing was changed; you are signed out.",
  "op.login.otherSession": "You are signed in with another account. Sign out first to sign in as the operator.",
  "op.login.signOut": "Sign out",

  "op.hospitals.title": "Hospitals",
  "op.hospitals.verify.title": "Before you register a hospital",
  "op.hospitals.verify.body":
    "Pramana checks only the shape of an HFR id (IN and 10 digits). It cannot check that the facility exists or that the person asking speaks for it. Look the facility up in the Health Facility Registry (ABDM) yourself, and check that its name and address match, before you register it.",
  "op.hospitals.verify.keys":
    "A hospital registers its own keys after it signs in. The list shows which ones have done so: without an encryption key, patients cannot share documents with it; without a signing key, they cannot give it consent.",
  "op.hospitals.register": "Register a hospital",
  "op.hospitals.hfr": "HFR id",
  "op.hospitals.hfr.hint": "IN and 10 digits, for example IN2710000123",
  "op.hospitals.name": "Hospital name",
  "op.hospitals.submit": "Register hospital",
  "op.hospitals.busy": "Registering…",
  "op.hospitals.created": "{name} is registered.",
  "op.hospitals.secret.label": "Its API secret",
  "op.hospitals.secret.warning":
    "This secret is shown only now. Pramana keeps only a fingerprint of it and cannot show it again. Give it to the hospital over a safe channel (in person or by phone, not by plain e-mail): with its HFR id, it signs in as the hospital.",
  "op.hospitals.list": "Registered hospitals ({count})",
  "op.hospitals.none": "No hospital is registered yet.",
  "op.hospitals.registered": "Registered {date}",
  "op.hospitals.encryptionKey": "Encryption key",
  "op.hospitals.signingKey": "Signing key",
  "op.hospitals.webhook": "Webhook",
  "op.hospitals.yes": "registered",
  "op.hospitals.no": "not registered",
  "op.hospitals.webhook.yes": "set",
  "op.hospitals.webhook.no": "not set",
  "op.hospitals.failedDeliveries": "{count} webhook deliveries failed",

  "op.auditors.title": "Auditors",
  "op.auditors.intro":
    "Auditors read the whole access log and check it, and every consent, against the blockchain. They cannot read documents.",
  "op.auditors.create": "Create an auditor account",
  "op.auditors.username": "Username",
  "op.auditors.username.hint": "3 to 64 of a–z, 0–9, dot, dash, underscore; starts with a letter",
  "op.auditors.name": "Full name",
  "op.auditors.submit": "Create auditor",
  "op.auditors.busy": "Creating…",
  "op.auditors.created": "The account {username} is created.",
  "op.auditors.password.label": "Its password",
  "op.auditors.password.warning":
    "This password is shown only now; Pramana cannot show it again. Give it to the auditor over a safe channel.",
  "op.auditors.list": "Auditor accounts ({count})",
  "op.auditors.none": "No auditor account yet.",
  "op.auditors.since": "since {date}",


  "op.health.title": "Platform health",
  "op.health.intro": "Counted from Pramana's own records: what the worker still has to do, and what failed.",
  "op.health.loading": "Reading the platform's numbers…",
  "op.health.refresh": "Refresh",
  "op.health.readAt": "Read at {time}. Refreshed every minute.",
  "op.health.ok": "Fine",
  "op.health.attention": "Needs attention",
  "op.health.backlog": "Waiting to be anchored",
  "op.health.backlog.detail": "{count} not yet confirmed on chain in all",
  "op.health.lag": "Anchoring lag now",
  "op.health.lag.detail": "age of the oldest item not yet anchored",
  "op.health.lag.none": "nothing waiting",
  "op.health.lastAnchor": "Last anchored",
  "op.health.lastAnchor.detail": "block {block}",
  "op.health.lastAnchor.none": "never",
  "op.health.relay": "Failed relays, 24 hours",
  "op.health.relay.detail": "{open} consent messages still to relay, {setAside} set aside; {total} failed in all",
  "op.health.webhooks": "Failing webhooks",
  "op.health.webhooks.detail": "hospitals whose last delivery failed; {failed} deliveries given up in 24 hours, {pending} waiting",
  "op.health.charts": "The last 24 hours",
  "op.health.chart.backlog": "Waiting to be anchored, at the end of each hour",
  "op.health.chart.lag": "Longest anchoring lag per hour",
  "op.health.chart.relay": "Failed relays per hour",
  "op.health.chart.webhooks": "Failed webhook attempts per hour",
  "op.health.chart.summary": "{title}: {min} to {max} over 24 hours, now {now}.",
  "op.health.table": "The same numbers as a table",
  "op.health.table.hour": "Hour",
  "op.health.table.anchored": "Anchored",
  "op.health.table.backlog": "Waiting",
  "op.health.table.lag": "Longest lag",
  "op.health.table.relay": "Failed relays",
  "op.health.table.webhooks": "Failed webhook attempts",

  "op.duration.s": "{n} s",
  "op.duration.m": "{n} min",
  "op.duration.h": "{n} h",
  "op.duration.d": "{n} days",

  "op.error.invalid_hfr_id": "This is not an HFR id: it is IN followed by 10 digits, for example IN2710000123. Nothing was registered.",
  "op.error.invalid_name": "Enter a name of 1 to 200 characters, without control characters. Nothing was registered.",
  "op.error.invalid_username":
    "A username is 3 to 64 of a–z, 0–9, dot, dash and underscore, starts with a letter, and must not look like an HFR id. Nothing was created.",
  "op.error.already_registered.hospital": "A hospital with this HFR id is already registered. Nothing was changed.",
  "op.error.already_registered.auditor": "This username is taken. Nothing was created.",
  "op.error.unauthorized": "Wrong username or password.",
};

export type OKey = keyof typeof en;

const hi: Record<OKey, string> = {
  "op.nav.label": "संचालक",
  "op.nav.health": "प्लेटफ़ॉर्म की स्थिति",
  "op.nav.hospitals": "अस्पताल",
  "op.nav.auditors": "ऑडिटर",
  "op.nav.account": "खाता",

  "op.login.title": "संचालक साइन-इन",
  "op.login.intro": "उन लोगों के लिए जो यह प्रमाण प्लेटफ़ॉर्म चलाते हैं। मरीज़ मुख्य पन्ने पर साइन इन करते हैं।",
  "op.login.username": "उपयोगकर्ता नाम",
  "op.login.password": "पासवर्ड",
  "op.login.submit": "साइन इन करें",
  "op.login.busy": "साइन इन हो रहा है…",
  "op.login.patientLink": "संचालक नहीं हैं? मरीज़ साइन-इन पर जाएँ",
  "op.login.2fa.intro": "इस खाते में दो-चरणीय साइन-इन है। अपने ऑथेंटिकेटर ऐप में अभी दिख रहा 6 अंकों का कोड डालें।",
  "op.login.2fa.code": "कोड",
  "op.login.2fa.hint": "6 अंक, या आपका कोई रिकवरी कोड",
  "op.login.2fa.submit": "जाँचें और साइन इन करें",
  "op.login.2fa.back": "फिर से शुरू करें",
  "op.login.2fa.passkey.intro": "या इस डिवाइस पर सहेजी पासकी या सिक्योरिटी की का उपयोग करें।",
  "op.login.2fa.passkey": "पासकी का उपयोग करें",
  "op.login.2fa.or": "या",
  "op.login.notOperator": "यह खाता संचालक का नहीं है। कुछ नहीं बदला; आप साइन आउट हो गए हैं।",
  "op.login.otherSession": "आप किसी दूसरे खाते से साइन इन हैं। संचालक के रूप में साइन इन करने के लिए पहले साइन आउट करें।",
  "op.login.signOut": "साइन आउट",

  "op.hospitals.title": "अस्पताल",
  "op.hospitals.verify.title": "अस्पताल पंजीकृत करने से पहले",
  "op.hospitals.verify.body":
    "प्रमाण केवल HFR आईडी का रूप जाँचता है (IN और 10 अंक)। वह यह नहीं जाँच सकता कि सुविधा मौजूद है या माँगने वाला व्यक्ति उसकी ओर से बोल रहा है। पंजीकरण से पहले स्वयं Health Facility Registry (ABDM) में सुविधा खोजें और जाँचें कि नाम और पता मेल खाते हैं।",
  "op.hospitals.verify.keys":
    "अस्पताल साइन इन करने के बाद अपनी कुंजियाँ स्वयं पंजीकृत करता है। सूची दिखाती है किसने ऐसा किया है: एन्क्रिप्शन कुंजी के बिना मरीज़ उससे दस्तावेज़ साझा नहीं कर सकते; हस्ताक्षर कुंजी के बिना उसे सहमति नहीं दे सकते।",
  "op.hospitals.register": "अस्पताल पंजीकृत करें",
  "op.hospitals.hfr": "HFR आईडी",
  "op.hospitals.hfr.hint": "IN और 10 अंक, जैसे IN2710000123",
  "op.hospitals.name": "अस्पताल का नाम",
  "op.hospitals.submit": "अस्पताल पंजीकृत करें",
  "op.hospitals.busy": "पंजीकरण हो रहा है…",
  "op.hospitals.created": "{name} पंजीकृत हो गया।",
  "op.hospitals.secret.label": "इसका API सीक्रेट",
  "op.hospitals.secret.warning":
    "यह सीक्रेट केवल अभी दिखाया जा रहा है। प्रमाण इसका केवल फ़िंगरप्रिंट रखता है और इसे दोबारा नहीं दिखा सकता। इसे अस्पताल को सुरक्षित तरीके से दें (व्यक्तिगत रूप से या फ़ोन पर, सादे ई-मेल से नहीं): अपनी HFR आईडी के साथ, इससे अस्पताल के रूप में साइन इन होता है।",
  "op.hospitals.list": "पंजीकृत अस्पताल ({count})",
  "op.hospitals.none": "अभी कोई अस्पताल पंजीकृत नहीं है।",
  "op.hospitals.registered": "{date} को पंजीकृत",
  "op.hospitals.encryptionKey": "एन्क्रिप्शन कुंजी",
  "op.hospitals.signingKey": "हस्ताक्षर कुंजी",
  "op.hospitals.webhook": "वेबहुक",
  "op.hospitals.yes": "पंजीकृत",
  "op.hospitals.no": "पंजीकृत नहीं",
  "op.hospitals.webhook.yes": "सेट है",
  "op.hospitals.webhook.no": "सेट नहीं",
  "op.hospitals.failedDeliveries": "{count} वेबहुक डिलीवरी विफल",

  "op.auditors.title": "ऑडिटर",
  "op.auditors.intro":
    "ऑडिटर पूरा पहुँच-लॉग पढ़ते हैं और उसे व हर सहमति को ब्लॉकचेन से जाँचते हैं। वे दस्तावेज़ नहीं पढ़ सकते।",
  "op.auditors.create": "ऑडिटर खाता बनाएँ",
  "op.auditors.username": "उपयोगकर्ता नाम",
  "op.auditors.username.hint": "a–z, 0–9, बिंदु, डैश, अंडरस्कोर में से 3 से 64; अक्षर से शुरू",
  "op.auditors.name": "पूरा नाम",
  "op.auditors.submit": "ऑडिटर बनाएँ",
  "op.auditors.busy": "बनाया जा रहा है…",
  "op.auditors.created": "खाता {username} बन गया।",
  "op.auditors.password.label": "इसका पासवर्ड",
  "op.auditors.password.warning": "यह पासवर्ड केवल अभी दिखाया जा रहा है; प्रमाण इसे दोबारा नहीं दिखा सकता। इसे ऑडिटर को सुरक्षित तरीके से दें।",
  "op.auditors.list": "ऑडिटर खाते ({count})",
  "op.auditors.none": "अभी कोई ऑडिटर खाता नहीं है।",
  "op.auditors.since": "{date} से",


  "op.health.title": "प्लेटफ़ॉर्म की स्थिति",
  "op.health.intro": "प्रमाण के अपने रिकॉर्ड से गिना गया: वर्कर को अभी क्या करना है, और क्या विफल हुआ।",
  "op.health.loading": "प्लेटफ़ॉर्म के आँकड़े पढ़े जा रहे हैं…",
  "op.health.refresh": "ताज़ा करें",
  "op.health.readAt": "{time} पर पढ़ा गया। हर मिनट ताज़ा होता है।",
  "op.health.ok": "ठीक",
  "op.health.attention": "ध्यान दें",
  "op.health.backlog": "एंकर होने की प्रतीक्षा में",
  "op.health.backlog.detail": "कुल {count} अभी चेन पर पुष्ट नहीं",
  "op.health.lag": "अभी एंकरिंग में देरी",
  "op.health.lag.detail": "सबसे पुराने प्रतीक्षारत आइटम की आयु",
  "op.health.lag.none": "कुछ प्रतीक्षा में नहीं",
  "op.health.lastAnchor": "पिछली एंकरिंग",
  "op.health.lastAnchor.detail": "ब्लॉक {block}",
  "op.health.lastAnchor.none": "कभी नहीं",
  "op.health.relay": "विफल रिले, 24 घंटे",
  "op.health.relay.detail": "{open} सहमति संदेश रिले होने बाकी, {setAside} अलग रखे गए; कुल {total} विफल",
  "op.health.webhooks": "विफल हो रहे वेबहुक",
  "op.health.webhooks.detail": "वे अस्पताल जिनकी पिछली डिलीवरी विफल रही; 24 घंटे में {failed} डिलीवरी छोड़ी गईं, {pending} प्रतीक्षा में",
  "op.health.charts": "पिछले 24 घंटे",
  "op.health.chart.backlog": "हर घंटे के अंत में एंकर होने की प्रतीक्षा में",
  "op.health.chart.lag": "हर घंटे की सबसे लंबी एंकरिंग देरी",
  "op.health.chart.relay": "हर घंटे विफल रिले",
  "op.health.chart.webhooks": "हर घंटे विफल वेबहुक प्रयास",
  "op.health.chart.summary": "{title}: 24 घंटों में {min} से {max}, अभी {now}।",
  "op.health.table": "यही आँकड़े तालिका में",
  "op.health.table.hour": "घंटा",
  "op.health.table.anchored": "एंकर हुए",
  "op.health.table.backlog": "प्रतीक्षा में",
  "op.health.table.lag": "सबसे लंबी देरी",
  "op.health.table.relay": "विफल रिले",
  "op.health.table.webhooks": "विफल वेबहुक प्रयास",

  "op.duration.s": "{n} सेकंड",
  "op.duration.m": "{n} मिनट",
  "op.duration.h": "{n} घंटे",
  "op.duration.d": "{n} दिन",

  "op.error.invalid_hfr_id": "यह HFR आईडी नहीं है: यह IN के बाद 10 अंक होती है, जैसे IN2710000123। कुछ भी पंजीकृत नहीं हुआ।",
  "op.error.invalid_name": "1 से 200 अक्षरों का नाम लिखें, बिना नियंत्रण वर्णों के। कुछ भी पंजीकृत नहीं हुआ।",
  "op.error.invalid_username":
    "उपयोगकर्ता नाम a–z, 0–9, बिंदु, डैश और अंडरस्कोर में से 3 से 64 वर्णों का होता है, अक्षर से शुरू होता है, और HFR आईडी जैसा नहीं दिखना चाहिए। कुछ भी नहीं बना।",
  "op.error.already_registered.hospital": "इस HFR आईडी वाला अस्पताल पहले से पंजीकृत है। कुछ नहीं बदला।",
  "op.error.already_registered.auditor": "यह उपयोगकर्ता नाम पहले से लिया हुआ है। कुछ भी नहीं बना।",
  "op.error.unauthorized": "उपयोगकर्ता नाम या पासवर्ड गलत है।",
};

const catalogue = { en, hi };

export type OT = (key: OKey, vars?: Vars) => string;

/** The console's translate function for the current language. */
export function useOT(): OT {
  const { lang } = useLang();
  return useCallback<OT>(
    (k, vars) => {
      const s = catalogue[lang][k] ?? en[k];
      return vars ? s.replace(/\{(\w+)\}/g, (m, v: string) => (v in vars ? String(vars[v]) : m)) : s;
    },
    [lang],
  );
}

/**
 * What went wrong, in the operator's words: the console's own message for a refusal it knows
 * (`context` tells which form, for codes that mean different things), else the portal's.
 */
export function useOperatorError(context?: "hospital" | "auditor"): (e: unknown) => string {
  const { t } = useLang();
  const ot = useOT();
  return useCallback(
    (e: unknown) => {
      if (e instanceof ApiError) {
        const keys = [`op.error.${e.code}.${context ?? ""}`, `op.error.${e.code}`];
        for (const k of keys) if (k in en) return ot(k as OKey);
      }
      return errorText(t, e);
    },
    [t, ot, context],
  );
}

/** A number of seconds in the largest whole unit that fits (45 s, 12 min, 3 h, 2 days). */
export function formatDuration(ot: OT, secs: number): string {
  if (secs < 120) return ot("op.duration.s", { n: secs });
  if (secs < 7200) return ot("op.duration.m", { n: Math.round(secs / 60) });
  if (secs < 172_800) return ot("op.duration.h", { n: Math.round(secs / 3600) });
  return ot("op.duration.d", { n: Math.round(secs / 86_400) });
}
