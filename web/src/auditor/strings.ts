// Strings of the auditor console (English, Hindi), kept out of the main catalogue: only the
// lazily loaded console imports this file. `useAT()` follows the language chosen in the header;
// a missing Hindi string is a type error.
import { useCallback } from "react";
import { useLang, type Vars } from "../i18n";

const en = {
  "au.nav.label": "Auditor",
  "au.login.title": "Auditor sign-in",
  "au.login.intro": "For auditors the operator has given an account. Patients sign in on the main page.",
  "au.login.username": "Username",
  "au.login.password": "Password",
  "au.login.submit": "Sign in",
  "au.login.busy": "Signing in…",
  "au.login.patientLink": "Not an auditor? Go to the patient sign-in",
  "au.login.notAuditor": "This account is not an auditor's. Nothing was changed; you are signed out.",
  "au.login.otherSession": "You are signed in with another account. Sign out first to sign in as an auditor.",
  "au.login.signOut": "Sign out",

  "au.title": "Consent audit",
  "au.intro":
    "Every consent's history is read here from the blockchain itself, through its RPC endpoint, not through Pramana. Then it is compared with what the platform says it holds.",
  "au.chain.title": "The blockchain read",
  "au.chain.chainId": "Chain",
  "au.chain.contract": "Consent contract",
  "au.chain.source.file": "pinned by this site's deployment file",
  "au.chain.source.api": "pinned by the platform",
  "au.chain.none": "This site pins no blockchain. Ask the operator for the deployment file.",
  "au.chain.loading": "Reading what this site trusts…",
  "au.chain.rpc": "RPC endpoint",
  "au.chain.rpc.hint": "The chain is read through this address, not through Pramana. The contract stays the pinned one. A page served by the platform may reach only the endpoint its deployment names (its security policy); to read through your own node, serve the portal yourself.",
  "au.chain.rpc.invalid": "Enter an http or https address.",
  "au.fromBlock": "From block",
  "au.run": "Read the chain and compare",
  "au.running": "Reading…",
  "au.progress.blocks": "Blocks read",
  "au.progress.checked": "Consents compared",

  "au.error.rpc_unreachable": "The RPC endpoint {url} did not answer. Nothing was read; the previous results, if any, are unchanged.",
  "au.error.rpc_wrong_chain":
    "The RPC endpoint is on chain {actual}, not on chain {expected} this site pins. Nothing was read from it; use an endpoint of chain {expected}.",
  "au.error.no_contract":
    "There is no contract at {contract} on this chain: not the pinned consent contract. Nothing was read.",
  "au.error.rpc_failed": "The RPC endpoint failed while reading: {message}. The results are not complete and were not shown.",
  "au.error.platform": "The platform's records could not be read: {message}. The chain's histories are shown; the comparison is not.",

  "au.summary":
    "{chain} consents on chain; {platform} signed on the platform; {inFlight} on their way to the chain; {count} discrepancies.",
  "au.summary.none": "No discrepancy: the platform and the chain agree.",
  "au.foreign": "{count} records on chain carry a platform consent's id but were granted by another key: another key's consents, not the patient's, so ignored.",

  "au.table.title": "Discrepancies",
  "au.filter.kind": "Kind",
  "au.filter.all": "All kinds",
  "au.filter.text": "Search",
  "au.filter.text.hint": "Any part of an id or of the detail",
  "au.filter.shown": "{shown} of {count} shown",
  "au.export": "Export as CSV",
  "au.col.kind": "Kind",
  "au.col.consent": "Consent id on chain",
  "au.col.platform": "Platform id",
  "au.col.detail": "What each side says",
  "au.kind.absent_on_chain": "Absent on chain",
  "au.kind.revoked_on_chain": "Revoked on chain",
  "au.kind.inactive_on_chain": "Not active on chain",
  "au.kind.active_on_chain": "Active on chain only",
  "au.kind.unknown_to_platform": "Unknown to the platform",
  "au.kind.record_mismatch": "Records differ",

  "au.history.title": "Consent histories from the chain ({count})",
  "au.history.col.consent": "Consent id",
  "au.history.col.patient": "Patient key",
  "au.history.col.grantee": "Hospital key",
  "au.history.col.valid": "Valid",
  "au.history.col.granted": "Granted (block)",
  "au.history.col.revoked": "Revoked (block)",
  "au.history.col.status": "Status now",
  "au.history.filter.status": "Status now",
  "au.history.filter.all": "Every status",
  "au.history.filter.text": "Search the histories",
  "au.history.filter.text.hint": "Any part of a consent id, a key, the scope hash or a transaction",
  "au.history.range": "{first}–{last} of {count}",
  "au.history.export": "Export these as CSV",
  "au.history.pages": "Pages of consent histories",
  "au.history.prev": "Previous page",
  "au.history.next": "Next page",
  "au.history.page": "Page {page} of {pages}",
  "au.status.unknown": "unknown",
  "au.status.active": "active",
  "au.status.not_yet_valid": "not yet valid",
  "au.status.expired": "expired",
  "au.status.revoked": "revoked",

  "au.log.title": "The access log",
  "au.log.intro":
    "Every entry of the access log is hashed again here from its content, the tree rebuilt and compared with every head; each anchored head is checked against the chain, and the platform's consistency proofs between them, as `pramana audit-log verify` does.",
  "au.log.check": "Check the access log",
  "au.log.checking": "Checking…",
  "au.log.summary": "{entries} entries, {heads} heads ({anchored} anchored on chain); verified up to tree size {size}.",
  "au.log.verified": "Verified: every entry fits every head anchored on chain.",
  "au.log.misfit": "First entry that does not fit: position {position} (seq {seq}): {reason}.",
  "au.log.problems": "Problems: {problems}.",

  "au.proofs.title": "Check a document's proof",
  "au.proofs.body": "A document and its proof bundle are checked against the same contract on the verify page, in this browser.",
  "au.proofs.link": "Open the verify page",
};

export type AKey = keyof typeof en;

const hi: Record<AKey, string> = {
  "au.nav.label": "ऑडिटर",
  "au.login.title": "ऑडिटर साइन-इन",
  "au.login.intro": "उन ऑडिटरों के लिए जिन्हें ऑपरेटर ने खाता दिया है। मरीज़ मुख्य पेज पर साइन इन करते हैं।",
  "au.login.username": "यूज़रनेम",
  "au.login.password": "पासवर्ड",
  "au.login.submit": "साइन इन करें",
  "au.login.busy": "साइन इन हो रहा है…",
  "au.login.patientLink": "ऑडिटर नहीं हैं? मरीज़ साइन-इन पर जाएँ",
  "au.login.notAuditor": "यह खाता ऑडिटर का नहीं है। कुछ नहीं बदला; आप साइन आउट कर दिए गए हैं।",
  "au.login.otherSession": "आप किसी दूसरे खाते से साइन इन हैं। ऑडिटर के रूप में साइन इन करने के लिए पहले साइन आउट करें।",
  "au.login.signOut": "साइन आउट करें",

  "au.title": "सहमति ऑडिट",
  "au.intro":
    "हर सहमति का इतिहास यहाँ सीधे ब्लॉकचेन से, उसके RPC एंडपॉइंट के ज़रिए पढ़ा जाता है, प्रमाण के ज़रिए नहीं। फिर उसकी तुलना उससे की जाती है जो प्लेटफ़ॉर्म कहता है कि उसके पास है।",
  "au.chain.title": "पढ़ा जाने वाला ब्लॉकचेन",
  "au.chain.chainId": "चेन",
  "au.chain.contract": "सहमति कॉन्ट्रैक्ट",
  "au.chain.source.file": "इस साइट की डिप्लॉयमेंट फ़ाइल द्वारा तय",
  "au.chain.source.api": "प्लेटफ़ॉर्म द्वारा तय",
  "au.chain.none": "यह साइट कोई ब्लॉकचेन तय नहीं करती। ऑपरेटर से डिप्लॉयमेंट फ़ाइल माँगें।",
  "au.chain.loading": "यह साइट किस पर भरोसा करती है, पढ़ा जा रहा है…",
  "au.chain.rpc": "RPC एंडपॉइंट",
  "au.chain.rpc.hint": "चेन इसी पते से पढ़ी जाती है, प्रमाण के ज़रिए नहीं। कॉन्ट्रैक्ट वही तय वाला रहता है। प्लेटफ़ॉर्म से खुला पेज केवल उसी एंडपॉइंट तक पहुँच सकता है जो उसकी डिप्लॉयमेंट बताती है (उसकी सुरक्षा नीति); अपने नोड से पढ़ने के लिए पोर्टल ख़ुद चलाएँ।",
  "au.chain.rpc.invalid": "http या https पता डालें।",
  "au.fromBlock": "किस ब्लॉक से",
  "au.run": "चेन पढ़ें और तुलना करें",
  "au.running": "पढ़ा जा रहा है…",
  "au.progress.blocks": "पढ़े गए ब्लॉक",
  "au.progress.checked": "तुलना की गई सहमतियाँ",

  "au.error.rpc_unreachable": "RPC एंडपॉइंट {url} ने जवाब नहीं दिया। कुछ नहीं पढ़ा गया; पिछले नतीजे, अगर कोई हैं, नहीं बदले।",
  "au.error.rpc_wrong_chain":
    "RPC एंडपॉइंट चेन {actual} पर है, इस साइट द्वारा तय चेन {expected} पर नहीं। उससे कुछ नहीं पढ़ा गया; चेन {expected} का एंडपॉइंट इस्तेमाल करें।",
  "au.error.no_contract": "इस चेन पर {contract} पर कोई कॉन्ट्रैक्ट नहीं है: यह तय सहमति कॉन्ट्रैक्ट नहीं है। कुछ नहीं पढ़ा गया।",
  "au.error.rpc_failed": "पढ़ते समय RPC एंडपॉइंट विफल रहा: {message}। नतीजे अधूरे हैं और दिखाए नहीं गए।",
  "au.error.platform": "प्लेटफ़ॉर्म के रिकॉर्ड नहीं पढ़े जा सके: {message}। चेन के इतिहास दिखाए गए हैं; तुलना नहीं।",

  "au.summary":
    "चेन पर {chain} सहमतियाँ; प्लेटफ़ॉर्म पर {platform} हस्ताक्षरित; {inFlight} चेन की ओर जा रही हैं; {count} विसंगतियाँ।",
  "au.summary.none": "कोई विसंगति नहीं: प्लेटफ़ॉर्म और चेन सहमत हैं।",
  "au.foreign": "चेन पर {count} रिकॉर्ड किसी प्लेटफ़ॉर्म सहमति की आईडी रखते हैं पर किसी दूसरी कुंजी ने दिए हैं: वे उस कुंजी की सहमतियाँ हैं, मरीज़ की नहीं, इसलिए अनदेखे किए गए।",

  "au.table.title": "विसंगतियाँ",
  "au.filter.kind": "प्रकार",
  "au.filter.all": "सभी प्रकार",
  "au.filter.text": "खोजें",
  "au.filter.text.hint": "किसी आईडी या विवरण का कोई भी हिस्सा",
  "au.filter.shown": "{count} में से {shown} दिखाई गईं",
  "au.export": "CSV के रूप में निर्यात करें",
  "au.col.kind": "प्रकार",
  "au.col.consent": "चेन पर सहमति आईडी",
  "au.col.platform": "प्लेटफ़ॉर्म आईडी",
  "au.col.detail": "हर पक्ष क्या कहता है",
  "au.kind.absent_on_chain": "चेन पर नहीं",
  "au.kind.revoked_on_chain": "चेन पर रद्द",
  "au.kind.inactive_on_chain": "चेन पर सक्रिय नहीं",
  "au.kind.active_on_chain": "केवल चेन पर सक्रिय",
  "au.kind.unknown_to_platform": "प्लेटफ़ॉर्म को अज्ञात",
  "au.kind.record_mismatch": "रिकॉर्ड अलग हैं",

  "au.history.title": "चेन से सहमति इतिहास ({count})",
  "au.history.col.consent": "सहमति आईडी",
  "au.history.col.patient": "मरीज़ की कुंजी",
  "au.history.col.grantee": "अस्पताल की कुंजी",
  "au.history.col.valid": "मान्य",
  "au.history.col.granted": "दी गई (ब्लॉक)",
  "au.history.col.revoked": "रद्द (ब्लॉक)",
  "au.history.col.status": "अभी की स्थिति",
  "au.history.filter.status": "अभी की स्थिति",
  "au.history.filter.all": "हर स्थिति",
  "au.history.filter.text": "इतिहास में खोजें",
  "au.history.filter.text.hint": "सहमति आईडी, कुंजी, दायरे के हैश या लेन-देन का कोई भी हिस्सा",
  "au.history.range": "{count} में से {first}–{last}",
  "au.history.export": "इन्हें CSV के रूप में निर्यात करें",
  "au.history.pages": "सहमति इतिहास के पन्ने",
  "au.history.prev": "पिछला पन्ना",
  "au.history.next": "अगला पन्ना",
  "au.history.page": "पन्ना {page} / {pages}",
  "au.status.unknown": "अज्ञात",
  "au.status.active": "सक्रिय",
  "au.status.not_yet_valid": "अभी मान्य नहीं",
  "au.status.expired": "समाप्त",
  "au.status.revoked": "रद्द",

  "au.log.title": "एक्सेस लॉग",
  "au.log.intro":
    "एक्सेस लॉग की हर प्रविष्टि का हैश यहाँ उसकी सामग्री से दोबारा बनाया जाता है, पेड़ फिर से बनाकर हर हेड से मिलाया जाता है; चेन पर एंकर हुआ हर हेड चेन से जाँचा जाता है, और उनके बीच प्लेटफ़ॉर्म के संगति प्रमाण भी, जैसे `pramana audit-log verify` करता है।",
  "au.log.check": "एक्सेस लॉग जाँचें",
  "au.log.checking": "जाँच हो रही है…",
  "au.log.summary": "{entries} प्रविष्टियाँ, {heads} हेड (चेन पर {anchored} एंकर); ट्री आकार {size} तक सत्यापित।",
  "au.log.verified": "सत्यापित: हर प्रविष्टि चेन पर एंकर हुए हर हेड में ठीक बैठती है।",
  "au.log.misfit": "पहली प्रविष्टि जो ठीक नहीं बैठती: स्थिति {position} (seq {seq}): {reason}।",
  "au.log.problems": "समस्याएँ: {problems}।",

  "au.proofs.title": "किसी दस्तावेज़ का प्रमाण जाँचें",
  "au.proofs.body": "दस्तावेज़ और उसका प्रमाण बंडल सत्यापन पेज पर, इसी ब्राउज़र में, उसी कॉन्ट्रैक्ट से जाँचे जाते हैं।",
  "au.proofs.link": "सत्यापन पेज खोलें",
};

const catalogue = { en, hi };

export type AT = (key: AKey, vars?: Vars) => string;

export function useAT(): AT {
  const { lang } = useLang();
  return useCallback<AT>(
    (k, vars) => {
      const s = catalogue[lang][k] ?? en[k];
      return vars ? s.replace(/\{(\w+)\}/g, (m, v: string) => (v in vars ? String(vars[v]) : m)) : s;
    },
    [lang],
  );
}
