// Caregivers and family (docs/caregivers.md): giving someone rights over your record, the list
// and revoking, the people you care for and their records, and the access history's words for
// a caregiver's actions. English, Hindi. The pages' own words (`caregivers.*`) are kept apart in
// pages/caregiversStrings.ts so the sign-in page does not carry them; the catalogue holds only what other pages use.
const en = {
  "nav.caregivers": "Family",
  "access.who.caregiver": "{name} (caregiver)",
  "access.who.someCaregiver": "A caregiver",
  "access.who.guardian": "Your guardian",
  "access.action.guardian.create_child": "Created this account",
  "access.action.guardian.open_child": "Opened this account",
  "access.action.guardian.close_child": "Left this account",
  "access.action.guardian.refused": "Was refused a setting of their own account here",
  "access.action.caregiver.grant": "Gave a caregiver access",
  "access.action.caregiver.revoke": "Took a caregiver's access back",
  "access.action.caregiver.stanzas.add": "Opened documents to a caregiver",
  "access.action.caregiver.stanzas.remove": "Removed a caregiver's key from documents",
  "access.action.document.list": "Listed your documents",
  "access.action.consent.list": "Listed your consent requests",
  "error.proxy_scope": "That is outside the rights you were given.",
  "error.proxy_revoked": "The person revoked your access to their record.",
  "error.proxy_expired": "Your access to this record is not in force now (outside the period you were given).",
  "error.patient_signature_required": "Only the patient can do that: it needs their own signature.",
  "error.caregiver_not_found": "No Pramana account has that ABHA number or address.",
  "error.caregiver_self": "You cannot be your own caregiver.",
  "error.caregiver_ambiguous": "Several accounts claim that ABHA number. Use their ABHA address instead.",
  "error.caregiver_exists": "This person already has access. Revoke it first to change it.",
  "error.caregiver_revoked": "This access was revoked already.",
  "error.no_caregiver_key": "That account has not set up its keys yet. Ask them to, then try again.",
};

const hi: Record<keyof typeof en, string> = {
  "nav.caregivers": "परिवार",
  "access.who.caregiver": "{name} (देखभालकर्ता)",
  "access.who.someCaregiver": "एक देखभालकर्ता",
  "access.who.guardian": "आपके अभिभावक",
  "access.action.guardian.create_child": "यह खाता बनाया",
  "access.action.guardian.open_child": "यह खाता खोला",
  "access.action.guardian.close_child": "यह खाता छोड़ा",
  "access.action.guardian.refused": "यहाँ अपने खाते की सेटिंग से मना किया गया",
  "access.action.caregiver.grant": "एक देखभालकर्ता को एक्सेस दिया",
  "access.action.caregiver.revoke": "एक देखभालकर्ता का एक्सेस वापस लिया",
  "access.action.caregiver.stanzas.add": "एक देखभालकर्ता के लिए दस्तावेज़ खोले",
  "access.action.caregiver.stanzas.remove": "दस्तावेज़ों से एक देखभालकर्ता की कुंजी हटाई",
  "access.action.document.list": "आपके दस्तावेज़ों की सूची देखी",
  "access.action.consent.list": "आपके सहमति अनुरोधों की सूची देखी",
  "error.proxy_scope": "यह आपको दिए गए अधिकारों से बाहर है।",
  "error.proxy_revoked": "उस व्यक्ति ने अपने रिकॉर्ड का आपका एक्सेस वापस ले लिया।",
  "error.proxy_expired": "इस रिकॉर्ड का आपका एक्सेस अभी लागू नहीं है (आपको दी गई अवधि से बाहर)।",
  "error.patient_signature_required": "यह केवल मरीज़ कर सकते हैं: इसके लिए उनका अपना हस्ताक्षर चाहिए।",
  "error.caregiver_not_found": "उस ABHA नंबर या पते का कोई प्रमाण खाता नहीं है।",
  "error.caregiver_self": "आप अपने ही देखभालकर्ता नहीं हो सकते।",
  "error.caregiver_ambiguous": "उस ABHA नंबर पर कई खाते दावा करते हैं। उनके ABHA पते का उपयोग करें।",
  "error.caregiver_exists": "इस व्यक्ति के पास पहले से एक्सेस है। बदलने के लिए पहले उसे वापस लें।",
  "error.caregiver_revoked": "यह एक्सेस पहले ही वापस लिया जा चुका है।",
  "error.no_caregiver_key": "उस खाते ने अभी अपनी कुंजियाँ नहीं बनाई हैं। उनसे कहें, फिर दोबारा कोशिश करें।",
};

export const caregivers = { en, hi };
