// Strings of the hospital portal (English, Hindi), kept out of the main catalogue so the
// patient's first page does not carry them: only the lazily loaded portal imports this file.
// `useHT()` follows the language chosen in the header; a missing Hindi string is a type error.
import { useCallback } from "react";
import { ApiError } from "../api/client";
import { useLang, type Vars } from "../i18n";
import { errorText } from "../ui";

const en = {
  "h.nav.label": "Hospital",
  "h.nav.desk": "ABHA desk",
  "h.nav.request": "Request consent",
  "h.nav.requests": "Requests",

  "h.req.title": "Find a patient, request consent",
  "h.req.intro":
    "Only a patient whose ABHA number was verified can be found. The patient sees the request in their app and decides; nothing is shared until they approve.",
  "h.req.abha": "Patient's ABHA number",
  "h.req.link": "Ask to link this patient's record",
  "h.req.link.hint": "Linking lets the hospital add documents to the patient's record once the patient approves. A consent request is separate: below.",
  "h.req.linkSent": "Link request sent to {abha}. The patient approves it in their app.",
  "h.req.purpose": "Purpose",
  "h.req.types": "Record types",
  "h.req.mode": "Access",
  "h.req.from": "Records of care from",
  "h.req.to": "Records of care until",
  "h.req.range": "Records of care",
  "h.req.erase": "Access ends on",
  "h.req.erase.hint": "If the patient approves, the hospital's access ends at the end of this day (dataEraseAt).",
  "h.req.expiry": "Request lapses on",
  "h.req.expiry.hint": "If the patient does not answer by the end of this day, the request expires. At most 30 days.",
  "h.req.problem.types": "Choose at least one record type.",
  "h.req.problem.range": "The first care date must not be after the last.",
  "h.req.problem.erase": "Access must end on a day after today.",
  "h.req.problem.expiry": "The request must lapse after today and within 30 days.",
  "h.req.review": "Review the request",
  "h.req.preview.title": "What the patient will see",
  "h.req.preview.intro": "Check it in the patient's words before you send it.",
  "h.req.preview.patient": "Patient",
  "h.req.preview.range": "Records of care from {from} to {to}",
  "h.req.preview.erase": "Access until the end of {day}",
  "h.req.preview.expiry": "Answer by the end of {day}, or the request lapses",
  "h.req.send": "Send request",
  "h.req.busy": "Sending…",
  "h.req.change": "Change",
  "h.req.sent": "Consent request sent to {abha}. The patient decides in their app.",
  "h.req.track": "Track your requests",
  "h.req.another": "Request another consent",

  "h.track.title": "Consent requests",
  "h.track.filter": "Show",
  "h.track.all": "All requests",
  "h.track.none": "No requests to show.",
  "h.track.patient": "Patient {id}",
  "h.track.asked": "Asked on",
  "h.track.lapses": "Lapses on",
  "h.track.decided": "Decided on",
  "h.track.range": "Records of care",
  "h.track.until": "Access until",
  "h.track.state.REQUESTED": "Requested",
  "h.track.state.GRANTED": "Granted",
  "h.track.state.DENIED": "Denied",
  "h.track.state.EXPIRED": "Expired",
  "h.track.state.REVOKED": "Revoked",

  "h.error.consent_exists": "This hospital already has an open request or a consent for this patient. Nothing was sent.",
  "h.error.link_exists": "This hospital already asked to link this patient's record, or is linked. Nothing was changed.",
  "h.error.invalid_patient_abha_number":
    "No patient with a verified account has this ABHA number. Nothing was sent. Check the number, or verify it at the ABHA desk with the patient present.",

  "h.login.title": "Hospital sign-in",
  "h.login.intro":
    "For hospital staff. Sign in with the hospital's HFR id and the API secret the platform's operator gave you. Patients sign in on the main page.",
  "h.login.hfr": "HFR id",
  "h.login.hfr.hint": "IN and 10 digits, for example IN2710000123",
  "h.login.secret": "API secret",
  "h.login.submit": "Sign in",
  "h.login.busy": "Signing in…",
  "h.login.patientLink": "Not a hospital? Go to the patient sign-in",
  "h.login.notHospital": "This account is not a hospital's. Nothing was changed; you are signed out.",
  "h.login.otherSession": "You are signed in with another account. Sign out first to sign in as a hospital.",
  "h.login.signOut": "Sign out",

  "h.keys.why":
    "Documents patients share with this hospital are encrypted to the hospital's keys. They stay in this browser, locked with a passphrase; Pramana never sees them.",
  "h.keys.lost":
    "Lost the hospital's key file and passphrase? Create new keys: patients then share their documents with the new keys again. Keep the key file where the hospital keeps its other secrets.",
  "h.keys.password": "The hospital's API secret",
  "h.keys.password.hint": "Asked again before keys are added to the hospital's account.",

  "h.desk.title": "Verify a patient's ABHA number",
  "h.desk.intro":
    "The patient is at the desk with their ABHA card. Check the card, then ask the patient to open Account → \"Show a code for the hospital desk\" in the Pramana app.",
  "h.desk.abha": "ABHA number on the card",
  "h.desk.abha.hint": "14 digits, with or without hyphens",
  "h.desk.code": "Code on the patient's screen",
  "h.desk.code.hint": "8 digits, for example 4821-0937. It is valid for 15 minutes.",
  "h.desk.submit": "Verify",
  "h.desk.busy": "Verifying…",
  "h.desk.abha.length": "An ABHA number has 14 digits ({n} typed).",
  "h.desk.abha.luhn": "This is not a valid ABHA number: check the digits against the card.",
  "h.desk.abha.chars": "Only digits and hyphens.",
  "h.desk.code.bad": "The code has 8 digits.",
  "h.desk.done": "{abha} is verified for this account:",
  "h.desk.name": "Name on the account",
  "h.desk.compare":
    "Compare this name with the name on the ABHA card. If they differ, the account is not this patient's: tell the platform's operator.",
  "h.desk.at": "Verified at {time}.",
  "h.desk.next": "Verify another number",

  "h.error.abha_code_invalid":
    "The code does not match this ABHA number (or it has expired). Nothing was changed. Check both, or ask the patient to show a new code.",
  "h.error.abha_already_verified":
    "Another account already holds this ABHA number verified. Nothing was changed. The platform's operator settles such a case.",
  "h.error.rate_limited": "Too many codes entered from this hospital in the last minute. Wait a minute and try again.",
  "h.error.invalid_code": "The code has 8 digits.",
  "h.error.invalid_abha_number": "This is not a valid ABHA number.",
  "h.error.unauthorized": "Wrong HFR id or API secret.",
} as const;

export type HKey = keyof typeof en;

const hi: Record<HKey, string> = {
  "h.nav.label": "अस्पताल",
  "h.nav.desk": "ABHA डेस्क",
  "h.nav.request": "सहमति माँगें",
  "h.nav.requests": "अनुरोध",

  "h.req.title": "मरीज़ खोजें, सहमति माँगें",
  "h.req.intro":
    "केवल वही मरीज़ मिल सकता है जिसका ABHA नंबर सत्यापित है। मरीज़ अनुरोध अपने ऐप में देखता है और निर्णय लेता है; मंज़ूरी से पहले कुछ साझा नहीं होता।",
  "h.req.abha": "मरीज़ का ABHA नंबर",
  "h.req.link": "इस मरीज़ के रिकॉर्ड से जुड़ने का अनुरोध करें",
  "h.req.link.hint": "जुड़ने पर, मरीज़ की मंज़ूरी के बाद अस्पताल मरीज़ के रिकॉर्ड में दस्तावेज़ जोड़ सकता है। सहमति का अनुरोध अलग है: नीचे।",
  "h.req.linkSent": "{abha} को जुड़ने का अनुरोध भेजा गया। मरीज़ इसे अपने ऐप में मंज़ूर करता है।",
  "h.req.purpose": "उद्देश्य",
  "h.req.types": "रिकॉर्ड के प्रकार",
  "h.req.mode": "पहुँच",
  "h.req.from": "इलाज के रिकॉर्ड, इस दिन से",
  "h.req.to": "इलाज के रिकॉर्ड, इस दिन तक",
  "h.req.range": "इलाज के रिकॉर्ड",
  "h.req.erase": "पहुँच इस दिन समाप्त",
  "h.req.erase.hint": "यदि मरीज़ मंज़ूर करता है, तो अस्पताल की पहुँच इस दिन के अंत में समाप्त होती है (dataEraseAt)।",
  "h.req.expiry": "अनुरोध इस दिन समाप्त",
  "h.req.expiry.hint": "यदि मरीज़ इस दिन के अंत तक जवाब नहीं देता, तो अनुरोध समाप्त हो जाता है। अधिकतम 30 दिन।",
  "h.req.problem.types": "कम से कम एक रिकॉर्ड प्रकार चुनें।",
  "h.req.problem.range": "इलाज की पहली तारीख आखिरी तारीख के बाद नहीं हो सकती।",
  "h.req.problem.erase": "पहुँच आज के बाद किसी दिन समाप्त होनी चाहिए।",
  "h.req.problem.expiry": "अनुरोध आज के बाद और 30 दिनों के भीतर समाप्त होना चाहिए।",
  "h.req.review": "अनुरोध जाँचें",
  "h.req.preview.title": "मरीज़ क्या देखेगा",
  "h.req.preview.intro": "भेजने से पहले इसे मरीज़ के शब्दों में जाँच लें।",
  "h.req.preview.patient": "मरीज़",
  "h.req.preview.range": "{from} से {to} तक के इलाज के रिकॉर्ड",
  "h.req.preview.erase": "{day} के अंत तक पहुँच",
  "h.req.preview.expiry": "{day} के अंत तक जवाब दें, नहीं तो अनुरोध समाप्त",
  "h.req.send": "अनुरोध भेजें",
  "h.req.busy": "भेजा जा रहा है…",
  "h.req.change": "बदलें",
  "h.req.sent": "{abha} को सहमति का अनुरोध भेजा गया। मरीज़ अपने ऐप में निर्णय लेता है।",
  "h.req.track": "अपने अनुरोध देखें",
  "h.req.another": "एक और सहमति माँगें",

  "h.track.title": "सहमति के अनुरोध",
  "h.track.filter": "दिखाएँ",
  "h.track.all": "सभी अनुरोध",
  "h.track.none": "दिखाने के लिए कोई अनुरोध नहीं।",
  "h.track.patient": "मरीज़ {id}",
  "h.track.asked": "माँगा गया",
  "h.track.lapses": "समाप्ति",
  "h.track.decided": "निर्णय",
  "h.track.range": "इलाज के रिकॉर्ड",
  "h.track.until": "पहुँच इस दिन तक",
  "h.track.state.REQUESTED": "माँगी गई",
  "h.track.state.GRANTED": "दी गई",
  "h.track.state.DENIED": "अस्वीकृत",
  "h.track.state.EXPIRED": "समय समाप्त",
  "h.track.state.REVOKED": "वापस ली गई",

  "h.error.consent_exists": "इस अस्पताल का इस मरीज़ के लिए पहले से एक खुला अनुरोध या सहमति है। कुछ नहीं भेजा गया।",
  "h.error.link_exists": "यह अस्पताल इस मरीज़ के रिकॉर्ड से जुड़ने का अनुरोध पहले ही कर चुका है, या जुड़ा है। कुछ नहीं बदला।",
  "h.error.invalid_patient_abha_number":
    "इस ABHA नंबर का कोई सत्यापित खाता नहीं है। कुछ नहीं भेजा गया। नंबर जाँचें, या मरीज़ की मौजूदगी में ABHA डेस्क पर इसे सत्यापित करें।",

  "h.login.title": "अस्पताल साइन-इन",
  "h.login.intro":
    "अस्पताल कर्मचारियों के लिए। अस्पताल की HFR आईडी और प्लेटफ़ॉर्म संचालक से मिले API सीक्रेट से साइन इन करें। मरीज़ मुख्य पेज पर साइन इन करते हैं।",
  "h.login.hfr": "HFR आईडी",
  "h.login.hfr.hint": "IN और 10 अंक, जैसे IN2710000123",
  "h.login.secret": "API सीक्रेट",
  "h.login.submit": "साइन इन करें",
  "h.login.busy": "साइन इन हो रहा है…",
  "h.login.patientLink": "अस्पताल नहीं हैं? मरीज़ साइन-इन पर जाएँ",
  "h.login.notHospital": "यह खाता किसी अस्पताल का नहीं है। कुछ नहीं बदला; आप साइन आउट हो गए हैं।",
  "h.login.otherSession": "आप किसी दूसरे खाते से साइन इन हैं। अस्पताल के रूप में साइन इन करने के लिए पहले साइन आउट करें।",
  "h.login.signOut": "साइन आउट करें",

  "h.keys.why":
    "मरीज़ इस अस्पताल से जो दस्तावेज़ साझा करते हैं, वे अस्पताल की कुंजियों से एन्क्रिप्ट होते हैं। कुंजियाँ इसी ब्राउज़र में पासफ़्रेज़ से बंद रहती हैं; प्रमाण उन्हें कभी नहीं देखता।",
  "h.keys.lost":
    "अस्पताल की कुंजी फ़ाइल और पासफ़्रेज़ खो गए? नई कुंजियाँ बनाएँ: तब मरीज़ अपने दस्तावेज़ नई कुंजियों से फिर साझा करते हैं। कुंजी फ़ाइल वहीं रखें जहाँ अस्पताल अपने बाकी सीक्रेट रखता है।",
  "h.keys.password": "अस्पताल का API सीक्रेट",
  "h.keys.password.hint": "अस्पताल के खाते में कुंजियाँ जोड़ने से पहले फिर से पूछा जाता है।",

  "h.desk.title": "मरीज़ का ABHA नंबर सत्यापित करें",
  "h.desk.intro":
    "मरीज़ अपने ABHA कार्ड के साथ डेस्क पर है। कार्ड जाँचें, फिर मरीज़ से प्रमाण ऐप में खाता → \"अस्पताल डेस्क के लिए कोड दिखाएँ\" खोलने को कहें।",
  "h.desk.abha": "कार्ड पर ABHA नंबर",
  "h.desk.abha.hint": "14 अंक, हाइफ़न के साथ या बिना",
  "h.desk.code": "मरीज़ की स्क्रीन पर कोड",
  "h.desk.code.hint": "8 अंक, जैसे 4821-0937। यह 15 मिनट तक मान्य है।",
  "h.desk.submit": "सत्यापित करें",
  "h.desk.busy": "सत्यापित हो रहा है…",
  "h.desk.abha.length": "ABHA नंबर में 14 अंक होते हैं ({n} लिखे गए)।",
  "h.desk.abha.luhn": "यह मान्य ABHA नंबर नहीं है: अंकों को कार्ड से मिलाएँ।",
  "h.desk.abha.chars": "केवल अंक और हाइफ़न।",
  "h.desk.code.bad": "कोड में 8 अंक होते हैं।",
  "h.desk.done": "{abha} इस खाते के लिए सत्यापित है:",
  "h.desk.name": "खाते पर नाम",
  "h.desk.compare":
    "इस नाम को ABHA कार्ड पर लिखे नाम से मिलाएँ। यदि ये अलग हैं, तो खाता इस मरीज़ का नहीं है: प्लेटफ़ॉर्म संचालक को बताएँ।",
  "h.desk.at": "{time} पर सत्यापित।",
  "h.desk.next": "दूसरा नंबर सत्यापित करें",

  "h.error.abha_code_invalid":
    "कोड इस ABHA नंबर से मेल नहीं खाता (या उसका समय समाप्त हो गया)। कुछ नहीं बदला। दोनों जाँचें, या मरीज़ से नया कोड दिखाने को कहें।",
  "h.error.abha_already_verified":
    "यह ABHA नंबर पहले से किसी दूसरे खाते के लिए सत्यापित है। कुछ नहीं बदला। ऐसे मामले प्लेटफ़ॉर्म संचालक सुलझाता है।",
  "h.error.rate_limited": "पिछले एक मिनट में इस अस्पताल से बहुत अधिक कोड डाले गए। एक मिनट रुककर फिर कोशिश करें।",
  "h.error.invalid_code": "कोड में 8 अंक होते हैं।",
  "h.error.invalid_abha_number": "यह मान्य ABHA नंबर नहीं है।",
  "h.error.unauthorized": "HFR आईडी या API सीक्रेट गलत है।",
};

const catalogue = { en, hi } as const;

export type HT = (key: HKey, vars?: Vars) => string;

/** The hospital portal's translate function for the current language. */
export function useHT(): HT {
  const { lang } = useLang();
  return useCallback<HT>(
    (k, vars) => {
      const s = catalogue[lang][k] ?? en[k];
      return vars ? s.replace(/\{(\w+)\}/g, (m, v: string) => (v in vars ? String(vars[v]) : m)) : s;
    },
    [lang],
  );
}

/** What went wrong, in staff's words: the portal's own message for a code it knows, else the patient portal's. */
export function useHospitalError(): (e: unknown) => string {
  const { t } = useLang();
  const ht = useHT();
  return useCallback(
    (e: unknown) => {
      if (e instanceof ApiError) {
        const k = `h.error.${e.code}`;
        if (k in en) return ht(k as HKey);
      }
      return errorText(t, e);
    },
    [t, ht],
  );
}
