//! The threats table's rows: filtering, sorting and grouping as pure functions over the
//! analysis, so they are tested without a window and cost no allocation per threat.

use crate::analysis::{Analysis, Origin, Subject, Threat};
use crate::model::{BoundaryId, ElementId, FlowId, Model, Severity, Status, Stride};
use crate::rules::Catalog;
use std::collections::BTreeSet;

/// Which threats to show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// Free text matched (case-insensitively) against id, title and subject name.
    pub text: String,
    /// Only this category.
    pub category: Option<Stride>,
    /// Only this severity or above.
    pub min_severity: Option<Severity>,
    /// Only these statuses.
    pub status: StatusFilter,
    /// Only threats about these elements or flows (the canvas selection), when non-empty.
    pub elements: BTreeSet<ElementId>,
    /// See `elements`.
    pub flows: BTreeSet<FlowId>,
    /// Only threats of these boundaries, of flows crossing them and of the elements
    /// inside them (at any depth), when non-empty.
    pub boundaries: BTreeSet<BoundaryId>,
}

/// Status filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Every status.
    #[default]
    All,
    /// Open or Needs investigation.
    Untriaged,
    /// Anything decided.
    Triaged,
    /// Exactly this status.
    Is(Status),
}

impl StatusFilter {
    /// Label for the filter menu.
    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "Any status",
            StatusFilter::Untriaged => "Untriaged",
            StatusFilter::Triaged => "Triaged",
            StatusFilter::Is(s) => s.label(),
        }
    }
    fn accepts(self, s: Status) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Untriaged => s.is_untriaged(),
            StatusFilter::Triaged => !s.is_untriaged(),
            StatusFilter::Is(x) => x == s,
        }
    }
}

/// Sortable columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Threat id.
    #[default]
    Id,
    /// STRIDE order.
    Category,
    /// Title.
    Title,
    /// Subject name.
    Subject,
    /// Severity (after override).
    Severity,
    /// Status.
    Status,
}

/// How rows are grouped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Grouping {
    /// One flat list.
    #[default]
    None,
    /// By STRIDE category.
    Category,
    /// By element or flow.
    Subject,
}

/// A table row.
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    /// A group header with its label and number of threats.
    Header(String, usize),
    /// A threat: index into `analysis.threats`.
    Threat(usize),
}

/// The title of a threat (rule title or manual title), borrowed.
pub fn title<'a>(t: &Threat, model: &'a Model, cat: &'a Catalog) -> &'a str {
    match t.origin {
        Origin::Rule(ri) => cat
            .rules
            .get(ri)
            .map(|r| r.rule.title.as_str())
            .unwrap_or(""),
        Origin::Manual => model
            .manual_threats
            .get(&t.id)
            .map(|m| m.title.as_str())
            .unwrap_or(""),
    }
}

/// The display name of a threat's subject, borrowed.
pub fn subject_name<'a>(s: &'a Subject, model: &'a Model) -> std::borrow::Cow<'a, str> {
    match s {
        Subject::Element(e) => model
            .elements
            .get(e)
            .map(|x| x.name.as_str())
            .unwrap_or(e.as_str())
            .into(),
        Subject::Flow(f) | Subject::Crossing(f, _) => flow_name(f, model),
        Subject::Boundary(b) => model
            .boundaries
            .get(b)
            .map(|x| x.name.as_str())
            .unwrap_or(b.as_str())
            .into(),
        Subject::Model => "(system)".into(),
    }
}

/// A flow's name, or "source → target" (element names) when it has none.
pub fn flow_name<'a>(f: &'a FlowId, model: &'a Model) -> std::borrow::Cow<'a, str> {
    let Some(x) = model.flows.get(f) else {
        return f.as_str().into();
    };
    if !x.name.trim().is_empty() {
        return x.name.as_str().into();
    }
    let end = |e: &ElementId| {
        model
            .elements
            .get(e)
            .map_or(e.as_str().to_owned(), |x| x.name.clone())
    };
    format!("{} → {}", end(&x.source), end(&x.target)).into()
}

/// Whether a threat is about one of the given elements or flows.
pub fn about(t: &Threat, elements: &BTreeSet<ElementId>, flows: &BTreeSet<FlowId>) -> bool {
    match &t.subject {
        Subject::Element(e) => elements.contains(e),
        Subject::Flow(f) | Subject::Crossing(f, _) => flows.contains(f),
        _ => false,
    }
}

/// Whether a threat is about one of `boundaries`: the boundary itself, a crossing of it,
/// or an element inside it at any depth.
pub fn about_boundaries(t: &Threat, boundaries: &BTreeSet<BoundaryId>, model: &Model) -> bool {
    let inside = |e: &ElementId| {
        let mut cur = model.elements.get(e).and_then(|x| x.boundary.as_ref());
        // Bounded by the number of boundaries, so a parent cycle cannot loop.
        for _ in 0..=model.boundaries.len() {
            match cur {
                Some(b) if boundaries.contains(b) => return true,
                Some(b) => cur = model.boundaries.get(b).and_then(|x| x.parent.as_ref()),
                None => return false,
            }
        }
        false
    };
    match &t.subject {
        Subject::Boundary(b) | Subject::Crossing(_, b) => boundaries.contains(b),
        Subject::Element(e) => inside(e),
        // A flow that starts or ends inside: it crosses the boundary or stays within.
        Subject::Flow(f) => model
            .flows
            .get(f)
            .is_some_and(|x| inside(&x.source) || inside(&x.target)),
        Subject::Model => false,
    }
}

/// The rows to show: filtered, sorted (ties broken by id) and grouped.
pub fn rows(
    model: &Model,
    analysis: &Analysis,
    cat: &Catalog,
    f: &Filter,
    sort: SortBy,
    ascending: bool,
    group: Grouping,
) -> Vec<Row> {
    let needle = f.text.trim().to_lowercase();
    let by_subject = !f.elements.is_empty() || !f.flows.is_empty() || !f.boundaries.is_empty();
    // Statuses are read once a threat, the controls found by id (not by asking each).
    let naming = crate::analysis::controls::Naming::new(model);
    let status: Vec<Status> = analysis
        .threats
        .iter()
        .map(|t| t.status_by(model, &naming))
        .collect();
    let mut idx: Vec<usize> = analysis
        .threats
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            f.category.is_none_or(|c| t.category == c)
                && f.min_severity.is_none_or(|s| t.severity(model) >= s)
                && f.status.accepts(status[*i])
                && (!by_subject
                    || about(t, &f.elements, &f.flows)
                    || about_boundaries(t, &f.boundaries, model))
                && (needle.is_empty()
                    || t.id.as_str().to_lowercase().contains(&needle)
                    || title(t, model, cat).to_lowercase().contains(&needle)
                    || subject_name(&t.subject, model)
                        .to_lowercase()
                        .contains(&needle))
        })
        .map(|(i, _)| i)
        .collect();
    let th = &analysis.threats;
    idx.sort_by(|&a, &b| {
        let (x, y) = (&th[a], &th[b]);
        let ord = match sort {
            SortBy::Id => std::cmp::Ordering::Equal,
            SortBy::Category => x.category.cmp(&y.category),
            SortBy::Title => title(x, model, cat).cmp(title(y, model, cat)),
            SortBy::Subject => {
                subject_name(&x.subject, model).cmp(&subject_name(&y.subject, model))
            }
            SortBy::Severity => x.severity(model).cmp(&y.severity(model)),
            SortBy::Status => status[a].cmp(&status[b]),
        };
        let ord = if ascending { ord } else { ord.reverse() };
        ord.then_with(|| x.id.cmp(&y.id))
    });
    match group {
        Grouping::None => idx.into_iter().map(Row::Threat).collect(),
        Grouping::Category => {
            let mut out = Vec::new();
            for c in Stride::ALL {
                let members: Vec<usize> = idx
                    .iter()
                    .copied()
                    .filter(|&i| th[i].category == c)
                    .collect();
                if !members.is_empty() {
                    out.push(Row::Header(
                        format!("{} — {}", c.label(), c.property()),
                        members.len(),
                    ));
                    out.extend(members.into_iter().map(Row::Threat));
                }
            }
            out
        }
        Grouping::Subject => {
            let mut keys: Vec<(String, usize)> = idx
                .iter()
                .map(|&i| (group_key(&th[i].subject, model), i))
                .collect();
            keys.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Vec::new();
            let mut start = 0;
            while start < keys.len() {
                let mut end = start;
                while end < keys.len() && keys[end].0 == keys[start].0 {
                    end += 1;
                }
                out.push(Row::Header(keys[start].0.clone(), end - start));
                // Keep the chosen sort inside a group.
                let mut members: Vec<usize> = keys[start..end].iter().map(|k| k.1).collect();
                members.sort_by_key(|m| idx.iter().position(|x| x == m));
                out.extend(members.into_iter().map(Row::Threat));
                start = end;
            }
            out
        }
    }
}

fn group_key(s: &Subject, model: &Model) -> String {
    match s {
        Subject::Element(_) => format!("{} (element)", subject_name(s, model)),
        Subject::Flow(_) | Subject::Crossing(..) => format!("{} (flow)", subject_name(s, model)),
        Subject::Boundary(_) => format!("{} (boundary)", subject_name(s, model)),
        Subject::Model => "(system)".to_owned(),
    }
}

/// Counts for the summary strip.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Every threat.
    pub total: usize,
    /// Untriaged threats per severity, least first.
    pub open_by_severity: [usize; 4],
    /// Threats per category, STRIDE order.
    pub by_category: [usize; 6],
    /// Decided threats.
    pub triaged: usize,
    /// The risk matrices before and after controls, for the summary's heat maps.
    pub risk: crate::analysis::risk::Matrices,
}

impl Summary {
    /// Counts an analysis.
    pub fn of(model: &Model, cat: &Catalog, a: &Analysis) -> Summary {
        let mut s = Summary {
            total: a.threats.len(),
            risk: crate::analysis::risk::matrices(model, cat, a),
            ..Summary::default()
        };
        let naming = crate::analysis::controls::Naming::new(model);
        for t in &a.threats {
            if let Some(i) = Stride::ALL.iter().position(|c| *c == t.category) {
                s.by_category[i] += 1;
            }
            if t.status_by(model, &naming).is_untriaged() {
                let i = Severity::ALL
                    .iter()
                    .position(|x| *x == t.severity(model))
                    .unwrap_or(0);
                s.open_by_severity[i] += 1;
            } else {
                s.triaged += 1;
            }
        }
        s
    }

    /// Percentage of threats decided, 0–100.
    pub fn triaged_percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            self.triaged as f64 * 100.0 / self.total as f64
        }
    }

    /// "5% triaged": the one figure the tab bar and the status bar both show, rounded
    /// down so that 100% means every threat is decided.
    pub fn triaged_text(&self) -> String {
        format!("{}% triaged", self.triaged_percent().floor() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::model::{Edit, ThreatId, Triage};

    fn fixture() -> (Model, Catalog) {
        let text = include_str!("../../../tests/rules/models/generic-open.ron");
        let model = crate::persist::load_bytes("generic-open.ron", text.as_bytes())
            .map(|l| l.model)
            .unwrap_or_default();
        (model, Catalog::builtin())
    }

    fn ids(a: &Analysis, rows: &[Row]) -> Vec<String> {
        rows.iter()
            .filter_map(|r| match r {
                Row::Threat(i) => Some(a.threats[*i].id.0.clone()),
                Row::Header(..) => None,
            })
            .collect()
    }

    #[test]
    fn filters_combine() {
        let (m, cat) = fixture();
        let a = analyze(&m, &cat);
        let f = Filter {
            category: Some(Stride::Spoofing),
            text: "api".into(),
            ..Filter::default()
        };
        let got = ids(
            &a,
            &rows(&m, &a, &cat, &f, SortBy::Id, true, Grouping::None),
        );
        assert!(!got.is_empty());
        assert!(
            got.iter()
                .all(|id| id.starts_with("GEN-S-") || id.starts_with("GEN-X-S-")),
            "{got:?}"
        );
        let f = Filter {
            min_severity: Some(Severity::High),
            ..Filter::default()
        };
        let got = rows(&m, &a, &cat, &f, SortBy::Id, true, Grouping::None);
        assert!(
            got.iter().all(
                |r| matches!(r, Row::Threat(i) if a.threats[*i].severity(&m) >= Severity::High)
            )
        );
    }

    #[test]
    fn canvas_selection_narrows_to_its_threats_including_crossings() {
        let (m, cat) = fixture();
        let a = analyze(&m, &cat);
        let mut f = Filter::default();
        f.flows.insert(FlowId::new("user-to-api"));
        let got = ids(
            &a,
            &rows(&m, &a, &cat, &f, SortBy::Id, true, Grouping::None),
        );
        assert!(
            got.iter().all(|id| id.contains("@flow:user-to-api")),
            "{got:?}"
        );
        // Crossing threats are about the flow (one per flow, not per boundary).
        assert!(got.iter().any(|id| id.starts_with("GEN-X-")), "{got:?}");
    }

    #[test]
    fn status_filter_follows_triage_and_severity_sort_is_stable() {
        let (mut m, cat) = fixture();
        let id = ThreatId::new("GEN-S-02@element:api");
        Edit::SetTriage(
            id.clone(),
            Some(Triage {
                status: Status::Mitigated,
                ..Triage::default()
            }),
        )
        .apply(&mut m)
        .ok();
        let a = analyze(&m, &cat);
        let f = Filter {
            status: StatusFilter::Triaged,
            ..Filter::default()
        };
        assert_eq!(
            ids(
                &a,
                &rows(&m, &a, &cat, &f, SortBy::Id, true, Grouping::None)
            ),
            vec![id.0.clone()]
        );
        let f = Filter {
            status: StatusFilter::Untriaged,
            ..Filter::default()
        };
        assert!(
            !ids(
                &a,
                &rows(&m, &a, &cat, &f, SortBy::Id, true, Grouping::None)
            )
            .contains(&id.0)
        );
        let sorted = rows(
            &m,
            &a,
            &cat,
            &Filter::default(),
            SortBy::Severity,
            false,
            Grouping::None,
        );
        let sev: Vec<Severity> = sorted
            .iter()
            .filter_map(|r| {
                if let Row::Threat(i) = r {
                    Some(a.threats[*i].severity(&m))
                } else {
                    None
                }
            })
            .collect();
        assert!(sev.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn grouping_adds_headers_with_counts() {
        let (m, cat) = fixture();
        let a = analyze(&m, &cat);
        let r = rows(
            &m,
            &a,
            &cat,
            &Filter::default(),
            SortBy::Id,
            true,
            Grouping::Category,
        );
        let headers: Vec<usize> = r
            .iter()
            .filter_map(|x| {
                if let Row::Header(_, n) = x {
                    Some(*n)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(headers.len(), 6);
        assert_eq!(headers.iter().sum::<usize>(), a.threats.len());
        let r = rows(
            &m,
            &a,
            &cat,
            &Filter::default(),
            SortBy::Id,
            true,
            Grouping::Subject,
        );
        assert!(
            r.iter()
                .any(|x| matches!(x, Row::Header(l, _) if l == "API (element)"))
        );
    }

    #[test]
    fn summary_counts() {
        let (m, cat) = fixture();
        let a = analyze(&m, &cat);
        let s = Summary::of(&m, &cat, &a);
        // No threat is triaged Not applicable here: every one is in the matrix.
        assert!(m.triage.is_empty());
        assert_eq!(s.risk.initial.total(), s.total);
        assert_eq!(s.total, a.threats.len());
        assert_eq!(s.by_category.iter().sum::<usize>(), s.total);
        assert_eq!(
            s.open_by_severity.iter().sum::<usize>() + s.triaged,
            s.total
        );
    }
}
