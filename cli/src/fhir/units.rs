//! The units the charts understand, per LOINC code: each lab value is converted to one unit per
//! test so a trend mixes no mg/dL with mmol/L (the table of `web/src/lib/fhir/units.ts`). A unit
//! not listed for a known test cannot be charted, and the checker says so.

/// How a value in another unit becomes one in the test's chart unit.
#[derive(Debug, Clone, Copy)]
enum Convert {
    Same,
    Times(f64),
    /// HbA1c IFCC (mmol/mol) to NGSP (%).
    Ifcc,
    /// °F to °C.
    Fahrenheit,
}

impl Convert {
    fn apply(self, v: f64) -> f64 {
        match self {
            Self::Same => v,
            Self::Times(k) => v * k,
            Self::Ifcc => v * 0.09148 + 2.152,
            Self::Fahrenheit => (v - 32.0) * 5.0 / 9.0,
        }
    }
}

/// The chart unit (UCUM) of a known test and the other units (normalised spelling) it converts
/// from; `None` for a test not listed.
fn rule(loinc: &str) -> Option<(&'static str, &'static [(&'static str, Convert)])> {
    use Convert::{Fahrenheit, Ifcc, Same, Times};
    const GLUCOSE: &[(&str, Convert)] = &[("mg/dl", Same), ("mmol/l", Times(18.016))];
    const CHOLESTEROL: &[(&str, Convert)] = &[("mg/dl", Same), ("mmol/l", Times(38.67))];
    const PRESSURE: &[(&str, Convert)] = &[("mm[hg]", Same), ("mmhg", Same)];
    Some(match loinc {
        "4548-4" => ("%", &[("%", Same), ("mmol/mol", Ifcc)]), // HbA1c
        "1558-6" | "2345-7" => ("mg/dL", GLUCOSE),             // glucose (fasting, any)
        "2160-0" => ("mg/dL", &[("mg/dl", Same), ("umol/l", Times(1.0 / 88.42))]), // creatinine
        "718-7" => ("g/dL", &[("g/dl", Same), ("g/l", Times(0.1))]), // haemoglobin
        "13457-7" | "2089-1" | "2085-9" | "2093-3" => ("mg/dL", CHOLESTEROL), // LDL, HDL, total
        "2571-8" => ("mg/dL", &[("mg/dl", Same), ("mmol/l", Times(88.57))]), // triglycerides
        "3016-3" => ("m[IU]/L", &[("m[iu]/l", Same), ("miu/l", Same), ("uiu/ml", Same), ("[iu]/ml", Times(1e6))]), // TSH
        "8480-6" | "8462-4" => ("mm[Hg]", PRESSURE), // systolic, diastolic
        "8867-4" => ("/min", &[("/min", Same), ("{beats}/min", Same), ("bpm", Same)]), // heart rate
        "29463-7" => {
            ("kg", &[("kg", Same), ("[lb_av]", Times(0.45359237)), ("lb", Times(0.45359237)), ("g", Times(0.001))])
        }
        "8302-2" => ("cm", &[("cm", Same), ("m", Times(100.0)), ("[in_i]", Times(2.54))]), // height
        "39156-5" => ("kg/m2", &[("kg/m2", Same)]),                                        // BMI
        "8310-5" => ("Cel", &[("cel", Same), ("[degf]", Fahrenheit)]),                     // temperature
        "59408-5" => ("%", &[("%", Same)]),                                                // SpO2
        _ => return None,
    })
}

/// Lower-case, no white space, µ as u: "mg/dL", "mg / dl" and "MG/DL" are one unit.
pub fn normalise_unit(u: &str) -> String {
    u.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == 'µ' || c == 'μ' { 'u' } else { c })
        .collect::<String>()
        .to_lowercase()
}

/// The value in the test's chart unit, or `None` when the unit is not one the charts know for
/// this test. A test not listed keeps its own unit (`code`, else `unit`).
pub fn to_chart_unit(loinc: &str, value: f64, code: Option<&str>, unit: Option<&str>) -> Option<(f64, String)> {
    let Some((chart_unit, from)) = rule(loinc) else {
        return Some((value, code.or(unit).unwrap_or("").to_owned()));
    };
    for candidate in [code, unit].into_iter().flatten() {
        let normal = normalise_unit(candidate);
        if let Some((_, convert)) = from.iter().find(|(u, _)| *u == normal) {
            return Some((convert.apply(value), chart_unit.to_owned()));
        }
    }
    None
}

/// How a UCUM unit is written for people ("mm[Hg]" is "mmHg").
pub fn unit_label(ucum: &str) -> &str {
    match ucum {
        "mm[Hg]" => "mmHg",
        "/min" => "beats/min",
        "Cel" => "°C",
        "m[IU]/L" => "mIU/L",
        "kg/m2" => "kg/m²",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_the_units_it_knows_and_refuses_the_others() {
        let (v, u) = to_chart_unit("1558-6", 5.5, Some("mmol/L"), None).unwrap();
        assert!((v - 99.09).abs() < 0.01 && u == "mg/dL");
        let (v, _) = to_chart_unit("2160-0", 88.42, None, Some("µmol/L")).unwrap();
        assert!((v - 1.0).abs() < 1e-9);
        assert_eq!(to_chart_unit("718-7", 130.0, Some("g/L"), None), Some((13.0, "g/dL".to_owned())));
        assert_eq!(to_chart_unit("718-7", 13.0, Some("mmol/L"), None), None);
        assert_eq!(to_chart_unit("99999-9", 3.0, Some("U/L"), None), Some((3.0, "U/L".to_owned())));
        let (v, u) = to_chart_unit("4548-4", 58.0, Some("mmol/mol"), Some("mmol/mol")).unwrap();
        assert!((v - 7.458).abs() < 0.01 && u == "%");
    }
}
