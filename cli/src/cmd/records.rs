//! `pramana records labs|meds|timeline`: the signed-in patient's documents decrypted on this
//! machine and read as health records — the FHIR document bundles that pass the checks for the
//! HI type they were stored as — summarised as the portal's records page shows them. Nothing
//! read is written to disk; documents that are not FHIR bundles, fail the checks or are larger
//! than `MAX_RECORD_BYTES` are counted and left out.

use anyhow::Context as _;

use crate::Ctx;
use crate::ctx::secret;
use crate::fhir::records::{self, ReadDocument, Series};
use crate::fhir::{self, extract::js_number};
use crate::keystore;

/// Documents above this are not read as records (a visit's bundle is tens of KB), as in the
/// portal.
pub const MAX_RECORD_BYTES: i64 = 2 << 20;

#[derive(Debug, clap::Subcommand)]
pub enum RecordsCmd {
    /// Lab results and vital signs by test (LOINC), oldest first, in one unit per test, with
    /// reference ranges and H/L flags.
    Labs,
    /// Current and past medicines.
    Meds,
    /// One timeline of care across hospitals, newest first.
    Timeline,
}

/// What was read, and what was left out.
struct Read {
    docs: Vec<ReadDocument>,
    skipped: usize,
}

impl RecordsCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let read = read_records(ctx).await?;
        let skipped = read.skipped;
        if skipped > 0 {
            eprintln!("{skipped} document(s) left out: not FHIR document bundles that pass the checks, or too large");
        }
        match self {
            Self::Labs => {
                let series = records::series(&read.docs);
                ctx.print(&series, || labs_text(&series));
            }
            Self::Meds => {
                let meds = records::medications(&read.docs);
                ctx.print(&meds, || {
                    let mut out = vec!["Current medicines".to_owned()];
                    out.extend(meds.current.iter().map(|e| med_line(&e.m)));
                    if meds.current.is_empty() {
                        out.push("  none".to_owned());
                    }
                    if !meds.past.is_empty() {
                        out.push("Past medicines".to_owned());
                        out.extend(meds.past.iter().map(|e| med_line(&e.m)));
                    }
                    out.join("\n")
                });
            }
            Self::Timeline => {
                let timeline = records::timeline(&read.docs);
                ctx.print(&timeline, || {
                    if timeline.is_empty() {
                        return "no records".to_owned();
                    }
                    timeline
                        .iter()
                        .map(|e| {
                            format!(
                                "{}  {:<20} {}  {}  {}",
                                e.date,
                                e.hi_type,
                                e.title.as_deref().unwrap_or("-"),
                                e.hospital.as_deref().unwrap_or("-"),
                                e.doc_id
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                });
            }
        }
        Ok(())
    }
}

/// Lists the documents, then downloads, opens and reads each small one, in order.
async fn read_records(ctx: &Ctx) -> anyhow::Result<Read> {
    let api = ctx.authed()?;
    let list = api.documents().await?;
    let live: Vec<_> = list.into_iter().filter(|d| d.deleted_at.is_none()).collect();
    let small: Vec<_> = live.iter().filter(|d| d.plaintext_size <= MAX_RECORD_BYTES).collect();
    let mut skipped = live.len() - small.len();
    let mut docs = Vec::new();
    if small.is_empty() {
        return Ok(Read { docs, skipped });
    }
    let pass = secret("PRAMANA_PASSPHRASE", "Keystore passphrase: ")?;
    let keys = keystore::unlock(&keystore::load(&ctx.keystore_path())?, &pass)?;
    let bar = ctx.progress(small.len() as u64, "reading");
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} documents") {
        bar.set_style(style.progress_chars("=> "));
    }
    for doc in small {
        let plain = super::download::open_in_memory(&api, &keys.identity, doc)
            .await
            .with_context(|| format!("reading document {}", doc.id))?;
        bar.inc(1);
        let Ok(bundle) = fhir::parse_fhir(&plain) else {
            skipped += 1;
            continue;
        };
        // Stored "as a plain document anyway" after failing the checks: left out, as in the portal.
        if !fhir::check_bundle(&bundle, &doc.hi_type).is_empty() {
            skipped += 1;
            continue;
        }
        docs.push(ReadDocument {
            id: doc.id.to_string(),
            hi_type: doc.hi_type.clone(),
            care_date: doc.care_date.to_string(),
            x: fhir::extract::extract(&bundle),
        });
    }
    bar.finish_and_clear();
    Ok(Read { docs, skipped })
}

fn flag_word(flag: Option<&str>) -> &'static str {
    match flag {
        Some("high") => "H",
        Some("low") => "L",
        Some(_) => "A",
        None => "",
    }
}

fn range_text(s: &Series) -> Option<String> {
    let unit = &s.unit;
    match (s.low, s.high) {
        (Some(l), Some(h)) => Some(format!("{}–{} {unit}", js_number(l), js_number(h))),
        (None, Some(h)) => Some(format!("below {} {unit}", js_number(h))),
        (Some(l), None) => Some(format!("above {} {unit}", js_number(l))),
        (None, None) => None,
    }
}

fn labs_text(series: &[Series]) -> String {
    if series.is_empty() {
        return "no lab results".to_owned();
    }
    let mut out = Vec::new();
    let mut vitals_started = false;
    for s in series {
        if s.vital && !vitals_started {
            vitals_started = true;
            out.push("Vital signs".to_owned());
        }
        let code = if s.code.starts_with("text:") { "—" } else { &s.code };
        let range = range_text(s).map(|r| format!(", normal {r}")).unwrap_or_default();
        out.push(format!("{} (LOINC {code}), {}{range}", s.name, s.unit));
        for p in &s.points {
            let shown = format!("{} {}", js_number(p.m.value), s.unit);
            let raw = if p.m.raw == format!("{} {}", js_number(p.m.value), p.m.unit) {
                String::new()
            } else {
                format!(" ({})", p.m.raw)
            };
            out.push(format!("  {}  {shown}{raw}  {}", p.m.date, flag_word(p.m.flag)).trim_end().to_owned());
        }
    }
    out.join("\n")
}

fn med_line(m: &fhir::extract::Medication) -> String {
    let mut line = format!("  {}", m.name);
    if let Some(d) = &m.dosage {
        line.push_str(&format!(" — {d}"));
    }
    if let Some(date) = &m.date {
        line.push_str(&format!(" (prescribed {}", date.get(..10).unwrap_or(date)));
        line.push_str(&format!(", {})", m.status));
    } else {
        line.push_str(&format!(" ({})", m.status));
    }
    line
}
