//! Risk: a likelihood × impact matrix (5×5 or 3×3, from the model's metadata), the
//! initial risk of each threat and its residual risk after controls. Derived, never
//! saved; the only inputs are the model, the rule's severity and likelihood, and an
//! optional CVSS 3.1 base vector on the threat's triage record.
//!
//! Default mapping (5×5): likelihood Low 2, Medium 3, High 4; impact Low 2, Medium 3,
//! High 4, Critical 5 (level 1 of either axis is left for CVSS scores and residual risk).
//! 3×3: likelihood Low 1, Medium 2, High 3; impact Low 1, Medium 2, High and Critical 3.
//! A manual threat's likelihood is Medium. A CVSS vector gives the impact from the base
//! score's rating and the likelihood from the exploitability sub-score.
//!
//! Residual: a threat that counts as Mitigated (by triage or by its controls) drops to
//! likelihood 1; otherwise each Implemented or Verified control naming it lowers the
//! likelihood by one level (to 1 at least). Not applicable threats are in neither
//! matrix; Transferred ones leave the residual matrix.

use super::{Analysis, Origin, Threat, controls};
use crate::model::{Likelihood, Model, RiskScale, Severity, Status};
use crate::rules::Catalog;
use std::str::FromStr;

/// One cell of the matrix: levels from 1 (lowest) to the scale's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    /// Likelihood level, 1-based.
    pub likelihood: u8,
    /// Impact level, 1-based.
    pub impact: u8,
}

/// A risk level, the band a cell falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Acceptable as it is.
    Low,
    /// Plan a control.
    Medium,
    /// Needs a control before release.
    High,
    /// Stop and fix.
    Critical,
}

impl Level {
    /// Lower-case name.
    pub fn key(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
    /// The severity of the same name (for the shared severity colours).
    pub fn severity(self) -> Severity {
        match self {
            Level::Low => Severity::Low,
            Level::Medium => Severity::Medium,
            Level::High => Severity::High,
            Level::Critical => Severity::Critical,
        }
    }
}

impl Cell {
    /// The band of this cell on `scale` (likelihood × impact, banded).
    pub fn level(self, scale: RiskScale) -> Level {
        let score = u16::from(self.likelihood) * u16::from(self.impact);
        match scale {
            RiskScale::Five => match score {
                0..=4 => Level::Low,
                5..=9 => Level::Medium,
                10..=16 => Level::High,
                _ => Level::Critical,
            },
            RiskScale::Three => match score {
                0..=2 => Level::Low,
                3..=4 => Level::Medium,
                5..=6 => Level::High,
                _ => Level::Critical,
            },
        }
    }
}

/// The labels of the levels of an axis, lowest first.
pub fn likelihood_labels(scale: RiskScale) -> &'static [&'static str] {
    match scale {
        RiskScale::Five => &["Rare", "Unlikely", "Possible", "Likely", "Almost certain"],
        RiskScale::Three => &["Low", "Medium", "High"],
    }
}

/// The labels of the impact levels, lowest first.
pub fn impact_labels(scale: RiskScale) -> &'static [&'static str] {
    match scale {
        RiskScale::Five => &["Negligible", "Minor", "Moderate", "Major", "Severe"],
        RiskScale::Three => &["Low", "Medium", "High"],
    }
}

/// The likelihood level of a rule's likelihood.
pub fn likelihood_level(l: Likelihood, scale: RiskScale) -> u8 {
    match (scale, l) {
        (RiskScale::Five, Likelihood::Low) => 2,
        (RiskScale::Five, Likelihood::Medium) => 3,
        (RiskScale::Five, Likelihood::High) => 4,
        (RiskScale::Three, Likelihood::Low) => 1,
        (RiskScale::Three, Likelihood::Medium) => 2,
        (RiskScale::Three, Likelihood::High) => 3,
    }
}

/// The impact level of a severity.
pub fn impact_level(s: Severity, scale: RiskScale) -> u8 {
    match (scale, s) {
        (RiskScale::Five, Severity::Low) => 2,
        (RiskScale::Five, Severity::Medium) => 3,
        (RiskScale::Five, Severity::High) => 4,
        (RiskScale::Five, Severity::Critical) => 5,
        (RiskScale::Three, Severity::Low) => 1,
        (RiskScale::Three, Severity::Medium) => 2,
        (RiskScale::Three, Severity::High | Severity::Critical) => 3,
    }
}

/// A parsed and scored CVSS 3.x base vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Cvss {
    /// The vector as written (normalised by the parser).
    pub vector: String,
    /// Base score, 0.0 to 10.0.
    pub base: f64,
    /// Exploitability sub-score, 0.0 to about 3.9.
    pub exploitability: f64,
}

/// Why a CVSS vector was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CvssError {
    /// The text is not a CVSS 3.0 / 3.1 vector.
    #[error("`{vector}` is not a CVSS 3.1 vector: {reason}")]
    Invalid {
        /// The text (shortened).
        vector: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A base metric is not given.
    #[error("`{vector}` lacks the base metric {metric}")]
    Missing {
        /// The text (shortened).
        vector: String,
        /// The missing metric (`AV`, `AC`, ...).
        metric: &'static str,
    },
}

/// Parses and scores a CVSS 3.0 / 3.1 base vector (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`).
/// All eight base metrics are required; temporal and environmental ones are allowed
/// but do not change the base score.
pub fn parse_cvss(text: &str) -> Result<Cvss, CvssError> {
    let shown = crate::model::truncate(text.trim(), 80);
    let v = cvss::v3::Vector::from_str(text.trim()).map_err(|e| CvssError::Invalid {
        vector: shown.clone(),
        reason: e.to_string(),
    })?;
    let missing = [
        ("AV", v.av.is_none()),
        ("AC", v.ac.is_none()),
        ("PR", v.pr.is_none()),
        ("UI", v.ui.is_none()),
        ("S", v.s.is_none()),
        ("C", v.c.is_none()),
        ("I", v.i.is_none()),
        ("A", v.a.is_none()),
    ];
    if let Some((metric, _)) = missing.iter().find(|(_, m)| *m) {
        return Err(CvssError::Missing {
            vector: shown,
            metric,
        });
    }
    Ok(Cvss {
        vector: v.to_string(),
        base: v.base_score().value(),
        exploitability: v.exploitability().value(),
    })
}

impl Cvss {
    /// The cell of this score: impact from the base score's rating (None 0.0, Low,
    /// Medium, High, Critical), likelihood from the exploitability sub-score.
    pub fn cell(&self, scale: RiskScale) -> Cell {
        let (b, e) = (self.base, self.exploitability);
        match scale {
            RiskScale::Five => Cell {
                impact: match b {
                    x if x <= 0.0 => 1,
                    x if x < 4.0 => 2,
                    x if x < 7.0 => 3,
                    x if x < 9.0 => 4,
                    _ => 5,
                },
                likelihood: match e {
                    x if x < 0.8 => 1,
                    x if x < 1.6 => 2,
                    x if x < 2.4 => 3,
                    x if x < 3.2 => 4,
                    _ => 5,
                },
            },
            RiskScale::Three => Cell {
                impact: match b {
                    x if x < 4.0 => 1,
                    x if x < 7.0 => 2,
                    _ => 3,
                },
                likelihood: match e {
                    x if x < 1.3 => 1,
                    x if x < 2.6 => 2,
                    _ => 3,
                },
            },
        }
    }
}

/// Where a threat's initial risk came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The rule's likelihood and the threat's severity (after a reviewer's override).
    Mapping,
    /// The CVSS vector on its triage record.
    Cvss(Cvss),
}

/// The risk of one threat.
#[derive(Clone, Debug, PartialEq)]
pub struct Risk {
    /// Before controls.
    pub initial: Cell,
    /// After controls (`None` when the threat leaves the residual matrix: not
    /// applicable or transferred).
    pub residual: Option<Cell>,
    /// Where the initial cell came from.
    pub source: Source,
    /// Whether the threat is in the matrices at all (not Not applicable).
    pub counted: bool,
}

/// The CVSS vector in effect for a threat, as written: its triage record's, else (for
/// a manual threat) the threat's own; `None` when neither is set.
pub fn cvss_text<'m>(model: &'m Model, t: &Threat) -> Option<&'m str> {
    cvss_with(t.triage(model), model, t)
}

/// [`cvss_text`] for a caller that already holds the threat's triage record.
pub fn cvss_with<'m>(
    triage: Option<&'m crate::model::Triage>,
    model: &'m Model,
    t: &Threat,
) -> Option<&'m str> {
    triage
        .map(|tr| tr.cvss.trim())
        .filter(|v| !v.is_empty())
        .or_else(|| {
            model
                .manual_threats
                .get(&t.id)
                .map(|m| m.cvss.trim())
                .filter(|v| !v.is_empty())
        })
}

/// The risk of a threat on the model's scale. A CVSS vector that does not parse is
/// ignored here (the mapping applies) and reported by [`diagnostics`].
pub fn risk_of(model: &Model, cat: &Catalog, t: &Threat) -> Risk {
    risk_by(model, cat, t, &controls::Naming::new(model))
}

/// [`risk_of`], with the controls found through `naming` (made once for many threats).
pub fn risk_by(model: &Model, cat: &Catalog, t: &Threat, naming: &controls::Naming<'_>) -> Risk {
    let scale = model.metadata.risk_matrix;
    let cvss = cvss_text(model, t).and_then(|v| parse_cvss(v).ok());
    let (initial, source) = match cvss {
        Some(c) => (c.cell(scale), Source::Cvss(c)),
        None => {
            let lik = match t.origin {
                Origin::Rule(ri) => cat
                    .rules
                    .get(ri)
                    .map_or(Likelihood::Medium, |r| r.rule.likelihood),
                Origin::Manual => Likelihood::Medium,
            };
            (
                Cell {
                    likelihood: likelihood_level(lik, scale),
                    impact: impact_level(t.severity(model), scale),
                },
                Source::Mapping,
            )
        }
    };
    let status = t.status_by(model, naming);
    let residual = match status {
        Status::NotApplicable | Status::Transferred => None,
        Status::Mitigated => Some(Cell {
            likelihood: 1,
            ..initial
        }),
        _ => {
            let done = naming
                .naming(t.id.as_str())
                .iter()
                .filter(|c| c.status.is_done())
                .count();
            let drop = u8::try_from(done).unwrap_or(u8::MAX);
            Some(Cell {
                likelihood: initial.likelihood.saturating_sub(drop).max(1),
                ..initial
            })
        }
    };
    Risk {
        initial,
        residual,
        source,
        counted: status != Status::NotApplicable,
    }
}

/// Counts of threats per cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// The scale.
    pub scale: RiskScale,
    /// `counts[likelihood - 1][impact - 1]`.
    pub counts: Vec<Vec<usize>>,
}

impl Default for Matrix {
    fn default() -> Matrix {
        Matrix::new(RiskScale::default())
    }
}

impl Matrix {
    /// An empty matrix of `scale`.
    pub fn new(scale: RiskScale) -> Matrix {
        let n = usize::from(scale.levels());
        Matrix {
            scale,
            counts: vec![vec![0; n]; n],
        }
    }
    fn add(&mut self, c: Cell) {
        let n = self.counts.len();
        let (l, i) = (usize::from(c.likelihood), usize::from(c.impact));
        if (1..=n).contains(&l) && (1..=n).contains(&i) {
            self.counts[l - 1][i - 1] += 1;
        }
    }
    /// The number of threats in a cell.
    pub fn at(&self, c: Cell) -> usize {
        let (l, i) = (usize::from(c.likelihood), usize::from(c.impact));
        self.counts
            .get(l.wrapping_sub(1))
            .and_then(|row| row.get(i.wrapping_sub(1)))
            .copied()
            .unwrap_or(0)
    }
    /// Every threat counted.
    pub fn total(&self) -> usize {
        self.counts.iter().flatten().sum()
    }
    /// Threats per level, Low first.
    pub fn by_level(&self) -> [usize; 4] {
        let mut out = [0; 4];
        let n = self.scale.levels();
        for l in 1..=n {
            for i in 1..=n {
                let c = Cell {
                    likelihood: l,
                    impact: i,
                };
                out[c.level(self.scale) as usize] += self.at(c);
            }
        }
        out
    }
}

/// The initial and residual matrices of an analysis.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Matrices {
    /// Before controls.
    pub initial: Matrix,
    /// After controls.
    pub residual: Matrix,
}

/// Both matrices of every threat of the analysis.
pub fn matrices(model: &Model, cat: &Catalog, a: &Analysis) -> Matrices {
    let scale = model.metadata.risk_matrix;
    let mut m = Matrices {
        initial: Matrix::new(scale),
        residual: Matrix::new(scale),
    };
    let naming = controls::Naming::new(model);
    for t in &a.threats {
        let r = risk_by(model, cat, t, &naming);
        if !r.counted {
            continue;
        }
        m.initial.add(r.initial);
        if let Some(c) = r.residual {
            m.residual.add(c);
        }
    }
    m
}

/// Triage records and manual threats whose CVSS vector does not parse, as diagnostics
/// (triage records first, each list in id order).
pub fn diagnostics(model: &Model) -> Vec<crate::diag::Diagnostic> {
    let bad = |what: String, vector: &str, fallback: &str| {
        parse_cvss(vector).err().map(|e| {
            crate::diag::Diagnostic::new(
                crate::diag::Level::Warning,
                "bad-cvss",
                format!("{what}: {e}; {fallback}"),
            )
        })
    };
    let triage = model
        .triage
        .values()
        .filter(|t| !t.cvss.trim().is_empty())
        .filter_map(|t| {
            bad(
                format!(
                    "triage of `{}`",
                    crate::model::truncate(t.threat.as_str(), 120)
                ),
                &t.cvss,
                "the rule's likelihood and severity apply",
            )
        });
    let manual = model
        .manual_threats
        .values()
        .filter(|m| !m.cvss.trim().is_empty())
        .filter_map(|m| {
            bad(
                format!(
                    "manual threat `{}`",
                    crate::model::truncate(m.id.as_str(), 120)
                ),
                &m.cvss,
                "its severity and a medium likelihood apply",
            )
            .map(|d| d.about(m.subject.clone()))
        });
    triage.chain(manual).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::model::{Control, ControlId, ControlStatus, Edit, ThreatId, Triage};

    /// Base scores from the CVSS v3.1 specification's examples (section 7) and FIRST's
    /// calculator.
    #[test]
    fn cvss_base_scores_match_the_specification() {
        for (v, score) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1), // CVE-2013-1937
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8), // CVE-2016-0728-like
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9), // CVE-2014-0160 Heartbleed
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ] {
            let c = parse_cvss(v).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(c.base, score, "{v}");
        }
    }

    #[test]
    fn bad_cvss_vectors_are_refused_with_the_reason() {
        for v in [
            "",
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:2.0/AV:N",
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ] {
            assert!(
                matches!(parse_cvss(v), Err(CvssError::Invalid { .. })),
                "{v}"
            );
        }
        assert_eq!(
            parse_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"),
            Err(CvssError::Missing {
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H".into(),
                metric: "A"
            })
        );
    }

    #[test]
    fn the_default_mapping_and_the_bands() {
        let five = RiskScale::Five;
        let cell = |l, s| Cell {
            likelihood: likelihood_level(l, five),
            impact: impact_level(s, five),
        };
        assert_eq!(
            cell(Likelihood::High, Severity::Critical).level(five),
            Level::Critical
        );
        assert_eq!(
            cell(Likelihood::Medium, Severity::Critical).level(five),
            Level::High
        );
        assert_eq!(
            cell(Likelihood::Medium, Severity::Medium).level(five),
            Level::Medium
        );
        assert_eq!(cell(Likelihood::Low, Severity::Low).level(five), Level::Low);
        let three = RiskScale::Three;
        assert_eq!(impact_level(Severity::Critical, three), 3);
        assert_eq!(likelihood_level(Likelihood::Low, three), 1);
        let c = parse_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("parses");
        assert_eq!(
            c.cell(five),
            Cell {
                likelihood: 5,
                impact: 5
            }
        );
        assert_eq!(
            c.cell(three),
            Cell {
                likelihood: 3,
                impact: 3
            }
        );
        let c = parse_cvss("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N").expect("parses");
        assert_eq!(
            c.cell(five),
            Cell {
                likelihood: 1,
                impact: 2
            }
        );
    }

    #[test]
    fn residual_risk_falls_with_controls_and_cvss_overrides_the_mapping() {
        let mut m = crate::persist::load_bytes(
            crate::DEFAULT_EXAMPLE.0,
            crate::DEFAULT_EXAMPLE.1.as_bytes(),
        )
        .expect("loads")
        .model;
        let cat = Catalog::builtin();
        let id = "DOCKER-D-02@element:web-api";
        let before = {
            let a = analyze(&m, &cat);
            risk_of(&m, &cat, a.threat(id).expect("threat"))
        };
        assert_eq!(before.source, Source::Mapping);
        assert_eq!(before.residual, Some(before.initial));
        let put = |m: &mut Model, cid: &str, st: ControlStatus| {
            Edit::PutControl(Control {
                id: ControlId::new(cid),
                title: cid.into(),
                status: st,
                threats: vec![ThreatId::new(id)],
                ..Control::default()
            })
            .apply(m)
            .expect("put");
        };
        put(&mut m, "C1", ControlStatus::Implemented);
        put(&mut m, "C2", ControlStatus::Planned);
        let a = analyze(&m, &cat);
        let partial = risk_of(&m, &cat, a.threat(id).expect("threat"));
        assert_eq!(partial.initial, before.initial);
        assert_eq!(
            partial.residual.map(|c| c.likelihood),
            Some(before.initial.likelihood - 1)
        );
        put(&mut m, "C2", ControlStatus::Verified);
        let a = analyze(&m, &cat);
        let done = risk_of(&m, &cat, a.threat(id).expect("threat"));
        assert_eq!(done.residual.map(|c| c.likelihood), Some(1));
        let mx = matrices(&m, &cat, &a);
        assert_eq!(
            mx.initial.total(),
            mx.residual.total() + transferred(&m, &a)
        );
        // A CVSS vector on the triage record overrides the mapping.
        Edit::SetTriage(
            ThreatId::new(id),
            Some(Triage {
                cvss: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                ..Triage::default()
            }),
        )
        .apply(&mut m)
        .expect("triage");
        let a = analyze(&m, &cat);
        let r = risk_of(&m, &cat, a.threat(id).expect("threat"));
        assert!(matches!(r.source, Source::Cvss(ref c) if c.base == 9.8));
        assert_eq!(
            r.initial,
            Cell {
                likelihood: 5,
                impact: 5
            }
        );
        // A bad vector is a diagnostic, and the mapping applies.
        Edit::SetTriage(
            ThreatId::new(id),
            Some(Triage {
                cvss: "CVSS:3.1/AV:N".into(),
                ..Triage::default()
            }),
        )
        .apply(&mut m)
        .expect("triage");
        let a = analyze(&m, &cat);
        assert!(a.diagnostics.iter().any(|d| d.code == "bad-cvss"));
        assert_eq!(
            risk_of(&m, &cat, a.threat(id).expect("threat")).source,
            Source::Mapping
        );
    }

    fn transferred(m: &Model, a: &Analysis) -> usize {
        a.threats
            .iter()
            .filter(|t| t.status(m) == Status::Transferred)
            .count()
    }
}
