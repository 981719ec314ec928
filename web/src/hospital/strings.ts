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
  "h.error.invalid_url": "The endpoint must be an https:// address of the hospital's system. Nothing was changed.",
  "h.nav.patients": "Patients",
  "h.nav.verify": "Verify a document",
  "h.nav.webhooks": "Webhooks",

  "h.pat.title": "Patients",
  "h.pat.intro":
    "Patients this hospital asked to link or asked for consent. A patient's name shows once they linked the hospital or granted consent.",
  "h.pat.none": "No patients yet. Find one under Request consent.",
  "h.pat.unnamed": "Name shown once the patient agrees",
  "h.pat.abha": "ABHA number {abha}",
  "h.pat.grants": "{n} consent(s) in force",
  "h.pat.noGrants": "No consent in force",
  "h.pat.open": "Open record",
  "h.pat.back": "All patients",
  "h.pat.missing": "This hospital has not asked for this patient.",
  "h.pat.link.REQUESTED": "Link asked",
  "h.pat.link.LINKED": "Linked",
  "h.pat.link.DENIED": "Link refused",
  "h.pat.link.UNLINKED": "Unlinked",
  "h.pat.link.none": "Not linked",
  "h.pat.shares.title": "What this patient shares with you",
  "h.pat.shares.none": "No consent is in force: the hospital sees only the documents it added itself.",
  "h.pat.shares.item": "{types}: records of care from {from} to {to}; access ends on {until}",
  "h.pat.docs.title": "Documents",
  "h.pat.docs.none": "No documents this hospital may read.",
  "h.pat.docs.ours": "Added by this hospital",
  "h.pat.docs.shared": "Shared under consent until {until}",
  "h.pat.docs.noKey": "Not opened for this hospital yet: the patient's app adds the hospital's key the next time the patient opens Pramana.",
  "h.pat.records.title": "Health records",
  "h.pat.records.lead": "Lab trends, medicines, immunizations, allergies, conditions and a timeline, read in this browser from the FHIR documents this hospital may open. Each document read is recorded in the patient's access history.",
  "h.pat.records.read": "Read health records ({n} documents)",
  "h.pat.records.again": "Read again",
  "h.pat.records.reading": "Reading {done} of {total} documents…",
  "h.pat.records.none": "None of the documents this hospital may open is a FHIR record.",
  "h.pat.records.skipped": "{n} documents are not FHIR records and are not shown here; open them from the list above.",
  "h.pat.upload.lead":
    "Encrypted in this browser to the patient's key and this hospital's key, then added to the patient's record. Pramana's servers never see the content.",
  "h.pat.upload.notLinked": "To add documents to this patient's record, ask to link it (Request consent); the patient approves in their app.",
  "h.pat.upload.noKey": "The patient has not set up their keys yet, so nothing can be sealed to them.",

  "h.doc.back": "Back to the patient",
  "h.doc.noKey":
    "The patient's app has not yet added this hospital's key to this document, so it cannot be opened here yet. It is added the next time the patient opens Pramana.",

  "h.hook.title": "Webhooks",
  "h.hook.intro":
    "Pramana POSTs consent events (granted, revoked, expired, denied) to the hospital's system, signed with the secret (Pramana-Signature, HMAC-SHA256).",
  "h.hook.endpoint": "Where events go",
  "h.hook.url": "Endpoint URL",
  "h.hook.url.hint": "https:// address of the hospital's system. Setting it again gives a new secret.",
  "h.hook.none": "No endpoint is set: events are not sent.",
  "h.hook.current": "Events go to {url} (set {when}).",
  "h.hook.save": "Save and get a new secret",
  "h.hook.remove": "Remove endpoint",
  "h.hook.removed": "Endpoint removed. Deliveries still pending were cancelled.",
  "h.hook.secret.title": "The webhook secret",
  "h.hook.secret.label": "Secret for Pramana-Signature",
  "h.hook.secret.warning": "It is shown only now. Put it in the hospital's system; the previous secret stopped working.",
  "h.hook.log.title": "Deliveries",
  "h.hook.log.none": "No events yet.",
  "h.hook.log.more": "Older events",
  "h.hook.log.event": "Event",
  "h.hook.log.when": "Recorded",
  "h.hook.log.state": "State",
  "h.hook.log.attempts": "Attempts",
  "h.hook.log.consent": "Consent {id}",
  "h.hook.log.next": "next try {when}",
  "h.hook.state.pending": "Pending",
  "h.hook.state.delivered": "Delivered",
  "h.hook.state.failed": "Failed",
  "h.hook.state.cancelled": "Cancelled",
  "h.hook.attempt": "Attempt {n}, {when}: {outcome}",
  "h.hook.outcome.delivered": "delivered",
  "h.hook.outcome.http_error": "the endpoint answered HTTP {code}",
  "h.hook.outcome.timeout": "no answer in time",
  "h.hook.outcome.connect_failed": "could not connect",
  "h.hook.outcome.refused_address": "refused: the address is private or local, nothing was sent",
  "h.hook.outcome.no_endpoint": "no endpoint was set",
  "h.hook.outcome.unfinished": "interrupted",
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
  "h.error.invalid_url": "एंडपॉइंट अस्पताल के सिस्टम का https:// पता होना चाहिए। कुछ नहीं बदला।",
  "h.nav.patients": "मरीज़",
  "h.nav.verify": "दस्तावेज़ जाँचें",
  "h.nav.webhooks": "वेबहुक",

  "h.pat.title": "मरीज़",
  "h.pat.intro":
    "वे मरीज़ जिनसे इस अस्पताल ने जुड़ने या सहमति का अनुरोध किया। मरीज़ का नाम तभी दिखता है जब वे अस्पताल को जोड़ दें या सहमति दें।",
  "h.pat.none": "अभी कोई मरीज़ नहीं। 'सहमति का अनुरोध' में किसी को खोजें।",
  "h.pat.unnamed": "मरीज़ की स्वीकृति के बाद नाम दिखेगा",
  "h.pat.abha": "ABHA नंबर {abha}",
  "h.pat.grants": "{n} सहमति लागू",
  "h.pat.noGrants": "कोई सहमति लागू नहीं",
  "h.pat.open": "रिकॉर्ड खोलें",
  "h.pat.back": "सभी मरीज़",
  "h.pat.missing": "इस अस्पताल ने इस मरीज़ के लिए अनुरोध नहीं किया है।",
  "h.pat.link.REQUESTED": "जुड़ने का अनुरोध भेजा",
  "h.pat.link.LINKED": "जुड़ा हुआ",
  "h.pat.link.DENIED": "जुड़ना अस्वीकार",
  "h.pat.link.UNLINKED": "अलग किया गया",
  "h.pat.link.none": "जुड़ा नहीं",
  "h.pat.shares.title": "यह मरीज़ आपसे क्या साझा करता है",
  "h.pat.shares.none": "कोई सहमति लागू नहीं है: अस्पताल केवल अपने जोड़े दस्तावेज़ देखता है।",
  "h.pat.shares.item": "{types}: {from} से {to} तक के इलाज के रिकॉर्ड; पहुँच {until} को समाप्त",
  "h.pat.docs.title": "दस्तावेज़",
  "h.pat.docs.none": "ऐसे कोई दस्तावेज़ नहीं जिन्हें यह अस्पताल पढ़ सके।",
  "h.pat.docs.ours": "इस अस्पताल ने जोड़ा",
  "h.pat.docs.shared": "{until} तक सहमति से साझा",
  "h.pat.docs.noKey": "अभी इस अस्पताल के लिए खोला नहीं गया: मरीज़ के अगली बार Pramana खोलने पर उनका ऐप अस्पताल की कुंजी जोड़ देगा।",
  "h.pat.records.title": "स्वास्थ्य रिकॉर्ड",
  "h.pat.records.lead": "लैब रुझान, दवाएँ, टीकाकरण, एलर्जी, रोग और समयरेखा, उन FHIR दस्तावेज़ों से इसी ब्राउज़र में पढ़े गए जिन्हें यह अस्पताल खोल सकता है। पढ़ा गया हर दस्तावेज़ मरीज़ के पहुँच इतिहास में दर्ज होता है।",
  "h.pat.records.read": "स्वास्थ्य रिकॉर्ड पढ़ें ({n} दस्तावेज़)",
  "h.pat.records.again": "फिर से पढ़ें",
  "h.pat.records.reading": "{total} में से {done} दस्तावेज़ पढ़े जा रहे हैं…",
  "h.pat.records.none": "इस अस्पताल के खोले जा सकने वाले दस्तावेज़ों में कोई FHIR रिकॉर्ड नहीं है।",
  "h.pat.records.skipped": "{n} दस्तावेज़ FHIR रिकॉर्ड नहीं हैं और यहाँ नहीं दिखाए गए; उन्हें ऊपर की सूची से खोलें।",
  "h.pat.upload.lead":
    "इस ब्राउज़र में मरीज़ की कुंजी और इस अस्पताल की कुंजी से एन्क्रिप्ट होकर मरीज़ के रिकॉर्ड में जुड़ता है। Pramana के सर्वर सामग्री कभी नहीं देखते।",
  "h.pat.upload.notLinked": "इस मरीज़ के रिकॉर्ड में दस्तावेज़ जोड़ने के लिए जुड़ने का अनुरोध करें ('सहमति का अनुरोध'); मरीज़ अपने ऐप में स्वीकार करते हैं।",
  "h.pat.upload.noKey": "मरीज़ ने अभी अपनी कुंजियाँ नहीं बनाई हैं, इसलिए उनके लिए कुछ सील नहीं किया जा सकता।",

  "h.doc.back": "मरीज़ पर वापस",
  "h.doc.noKey":
    "मरीज़ के ऐप ने अभी इस दस्तावेज़ में इस अस्पताल की कुंजी नहीं जोड़ी है, इसलिए यह यहाँ अभी नहीं खुल सकता। मरीज़ के अगली बार Pramana खोलने पर जुड़ जाएगी।",

  "h.hook.title": "वेबहुक",
  "h.hook.intro":
    "Pramana सहमति की घटनाएँ (दी गई, वापस ली गई, समाप्त, अस्वीकार) अस्पताल के सिस्टम को POST करता है, सीक्रेट से हस्ताक्षरित (Pramana-Signature, HMAC-SHA256)।",
  "h.hook.endpoint": "घटनाएँ कहाँ जाती हैं",
  "h.hook.url": "एंडपॉइंट URL",
  "h.hook.url.hint": "अस्पताल के सिस्टम का https:// पता। दोबारा सेट करने पर नया सीक्रेट मिलता है।",
  "h.hook.none": "कोई एंडपॉइंट सेट नहीं: घटनाएँ नहीं भेजी जातीं।",
  "h.hook.current": "घटनाएँ {url} पर जाती हैं ({when} को सेट)।",
  "h.hook.save": "सहेजें और नया सीक्रेट लें",
  "h.hook.remove": "एंडपॉइंट हटाएँ",
  "h.hook.removed": "एंडपॉइंट हटाया गया। बाकी डिलीवरी रद्द की गईं।",
  "h.hook.secret.title": "वेबहुक सीक्रेट",
  "h.hook.secret.label": "Pramana-Signature का सीक्रेट",
  "h.hook.secret.warning": "यह केवल अभी दिखाया जा रहा है। इसे अस्पताल के सिस्टम में रखें; पिछला सीक्रेट अब काम नहीं करता।",
  "h.hook.log.title": "डिलीवरी",
  "h.hook.log.none": "अभी कोई घटना नहीं।",
  "h.hook.log.more": "पुरानी घटनाएँ",
  "h.hook.log.event": "घटना",
  "h.hook.log.when": "दर्ज",
  "h.hook.log.state": "स्थिति",
  "h.hook.log.attempts": "प्रयास",
  "h.hook.log.consent": "सहमति {id}",
  "h.hook.log.next": "अगला प्रयास {when}",
  "h.hook.state.pending": "बाकी",
  "h.hook.state.delivered": "पहुँचा",
  "h.hook.state.failed": "विफल",
  "h.hook.state.cancelled": "रद्द",
  "h.hook.attempt": "प्रयास {n}, {when}: {outcome}",
  "h.hook.outcome.delivered": "पहुँचा",
  "h.hook.outcome.http_error": "एंडपॉइंट ने HTTP {code} लौटाया",
  "h.hook.outcome.timeout": "समय पर कोई उत्तर नहीं",
  "h.hook.outcome.connect_failed": "जुड़ नहीं सका",
  "h.hook.outcome.refused_address": "अस्वीकार: पता निजी या लोकल है, कुछ नहीं भेजा गया",
  "h.hook.outcome.no_endpoint": "कोई एंडपॉइंट सेट नहीं था",
  "h.hook.outcome.unfinished": "बीच में रुका",
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
