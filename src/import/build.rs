//! What every importer shares: valid unique ids from the source's ids, STRIDE categories,
//! severities and statuses from the source's words, and carried-over threats.

use super::{ImportError, Imported, MAX_IMPORT_ITEMS};
use crate::diag::{Diagnostic, Level};
use crate::model::{
    Boundary, BoundaryId, Element, ElementId, Flow, FlowId, MAX_ID_LEN, ManualThreat, Model,
    RectTuple, Severity, Status, Stride, SubjectRef, ThreatId, Triage, check_id,
};
use std::collections::{BTreeMap, BTreeSet};

/// A model under construction with the diagnostics found so far.
pub(crate) struct Builder {
    pub model: Model,
    pub diags: Vec<Diagnostic>,
    pub file: String,
    used: BTreeSet<(Ns, String)>,
    items: usize,
}

/// Which id space an id lives in: Palisade keeps elements, flows, boundaries and
/// threats apart, so `api` may name an element and a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ns {
    Element,
    Flow,
    Boundary,
    Threat,
}

/// Turns any text into a valid id: letters, digits, `-`, `_`, `.`; other characters
/// become `-`; runs of `-` collapse; at most [`MAX_ID_LEN`] bytes.
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        let c = if c.is_alphanumeric() || matches!(c, '_' | '.') {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        if out.len() + c.len_utf8() > MAX_ID_LEN - 8 {
            break;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Collapses a name to one line (Threat Dragon names often hold `\n`).
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Builder {
    /// Boxes: the smallest box holding an element's centre is its boundary; a box inside
    /// another is its child.
    pub(crate) fn contain(
        &mut self,
        boxes: &[(BoundaryId, RectTuple)],
        rects: &BTreeMap<ElementId, RectTuple>,
    ) {
        let area = |r: &(f64, f64, f64, f64)| r.2 * r.3;
        let holds = |o: &(f64, f64, f64, f64), x: f64, y: f64| {
            x >= o.0 && x <= o.0 + o.2 && y >= o.1 && y <= o.1 + o.3
        };
        for (id, r) in boxes {
            let parent = boxes
                .iter()
                .filter(|(o, or)| {
                    o != id
                        && area(or) > area(r)
                        && holds(or, r.0, r.1)
                        && holds(or, r.0 + r.2, r.1 + r.3)
                })
                .min_by(|a, b| area(&a.1).total_cmp(&area(&b.1)))
                .map(|(o, _)| o.clone());
            if let Some(p) = parent
                && let Some(bb) = self.model.boundaries.get_mut(id)
            {
                bb.parent = Some(p);
            }
        }
        for (eid, r) in rects {
            let (cx, cy) = (r.0 + r.2 / 2.0, r.1 + r.3 / 2.0);
            let home = boxes
                .iter()
                .filter(|(_, br)| holds(br, cx, cy))
                .min_by(|a, b| area(&a.1).total_cmp(&area(&b.1)))
                .map(|(o, _)| o.clone());
            if let Some(h) = home
                && let Some(e) = self.model.elements.get_mut(eid)
            {
                e.boundary = Some(h);
            }
        }
    }

    pub fn new(file: &str, title: &str) -> Builder {
        Builder {
            model: Model::new(title),
            diags: Vec::new(),
            file: file.to_owned(),
            used: BTreeSet::new(),
            items: 0,
        }
    }

    /// Counts one more item against [`MAX_IMPORT_ITEMS`].
    pub fn count(&mut self) -> Result<(), ImportError> {
        self.items += 1;
        if self.items > MAX_IMPORT_ITEMS {
            return Err(ImportError::Invalid {
                path: self.file.clone(),
                pos: None,
                message: format!("more than {MAX_IMPORT_ITEMS} items (MAX_IMPORT_ITEMS); refused"),
            });
        }
        Ok(())
    }

    pub fn diag(&mut self, level: Level, code: &'static str, message: impl Into<String>) {
        // Names from the file go to a terminal: control characters are escaped.
        let message = crate::persist::one_line(&message.into());
        let d = Diagnostic::new(level, code, message).at(&self.file, None);
        self.diags.push(d);
    }

    /// A new id, unique across elements, flows, boundaries and manual threats: the source
    /// id when it is valid, else a slug of it, else a slug of `fallback`, else `prefix-N`.
    pub fn fresh_id(&mut self, ns: Ns, source: &str, fallback: &str, prefix: &str) -> String {
        let mut base = if check_id(source).is_ok() {
            source.to_owned()
        } else {
            slug(source)
        };
        if base.is_empty() {
            base = slug(fallback);
        }
        if base.is_empty() {
            base = prefix.to_owned();
        }
        let mut cand = if base == prefix {
            format!("{prefix}-1")
        } else {
            base.clone()
        };
        let mut n = 2usize;
        while self.used.contains(&(ns, cand.clone())) {
            cand = format!("{base}-{n}");
            n += 1;
        }
        if !source.is_empty() && cand != source {
            self.diag(
                Level::Info,
                "import-id",
                format!(
                    "id `{}` is stored as `{cand}` (ids use letters, digits, `-`, `_`, `.` and are unique)",
                    crate::model::truncate(source, 60)
                ),
            );
        }
        self.used.insert((ns, cand.clone()));
        cand
    }

    pub fn add_element(&mut self, e: Element) -> Result<(), ImportError> {
        self.count()?;
        self.model.elements.insert(e.id.clone(), e);
        Ok(())
    }
    pub fn add_flow(&mut self, f: Flow) -> Result<(), ImportError> {
        self.count()?;
        self.model.flows.insert(f.id.clone(), f);
        Ok(())
    }
    pub fn add_boundary(&mut self, b: Boundary) -> Result<(), ImportError> {
        self.count()?;
        self.model.boundaries.insert(b.id.clone(), b);
        Ok(())
    }

    /// Adds a carried-over threat as a manual threat with its triage record.
    pub fn add_threat(&mut self, t: SourceThreat) -> Result<ThreatId, ImportError> {
        self.count()?;
        let id = self.fresh_id(Ns::Threat, &t.id, &t.title, "THREAT");
        let id = ThreatId::new(id);
        let title = if t.raw {
            t.title.clone()
        } else if t.title.trim().is_empty() {
            "Untitled threat".to_owned()
        } else {
            one_line(&t.title)
        };
        let (description, mitigations) = if t.raw {
            (t.description.clone(), t.mitigations.clone())
        } else {
            (
                t.description.trim().to_owned(),
                t.mitigations
                    .iter()
                    .map(|m| m.trim().to_owned())
                    .filter(|m| !m.is_empty())
                    .collect(),
            )
        };
        self.model.manual_threats.insert(
            id.clone(),
            ManualThreat {
                id: id.clone(),
                title,
                category: t.category,
                severity: t.severity,
                subject: t.subject,
                description,
                mitigations,
                cvss: t.cvss.trim().to_owned(),
            },
        );
        self.model.triage.insert(
            id.clone(),
            Triage {
                threat: id.clone(),
                status: t.status,
                justification: t.justification.trim().to_owned(),
                owner: t.owner,
                ..Triage::default()
            },
        );
        Ok(id)
    }

    pub fn finish(self) -> Imported {
        Imported {
            model: self.model,
            diagnostics: self.diags,
        }
    }
}

/// A threat found in the source, before it becomes a manual threat.
pub(crate) struct SourceThreat {
    pub id: String,
    pub title: String,
    pub category: Stride,
    pub severity: Severity,
    pub subject: SubjectRef,
    pub description: String,
    pub mitigations: Vec<String>,
    pub status: Status,
    pub justification: String,
    pub owner: String,
    /// A CVSS 3.x vector the source gives for the threat (empty when none).
    pub cvss: String,
    /// Texts are kept exactly (a file Palisade wrote), not tidied.
    pub raw: bool,
}

/// The STRIDE category a source's category word names. STRIDE names and letters map
/// directly; CIA and LINDDUN words map to the STRIDE category threatening the same
/// property; `None` for anything else.
pub(crate) fn stride_of(text: &str) -> Option<Stride> {
    let t: String = text
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    let s = match t.as_str() {
        "s" | "spoofing" | "spoof" | "authenticity" | "authentication" => Stride::Spoofing,
        "t" | "tampering" | "tamper" | "integrity" => Stride::Tampering,
        "r" | "repudiation" | "nonrepudiation" => Stride::Repudiation,
        "i"
        | "informationdisclosure"
        | "disclosure"
        | "confidentiality"
        | "disclosureofinformation"
        | "linkability"
        | "identifiability"
        | "detectability"
        | "unawareness"
        | "noncompliance"
        | "privacy" => Stride::InformationDisclosure,
        "d" | "denialofservice" | "dos" | "availability" => Stride::DenialOfService,
        "e"
        | "elevationofprivilege"
        | "elevationofprivileges"
        | "authorization"
        | "authorisation"
        | "privilegeescalation" => Stride::ElevationOfPrivilege,
        _ => return None,
    };
    Some(s)
}

/// A severity from a source's word (`TBD`, `none` and unknown words give `None`).
pub(crate) fn severity_of(text: &str) -> Option<Severity> {
    match text.trim().to_ascii_lowercase().as_str() {
        "low" | "info" | "informational" | "very-low" | "very_low" | "verylow" => {
            Some(Severity::Low)
        }
        "medium" | "moderate" | "elevated" => Some(Severity::Medium),
        "high" | "very-high" | "very_high" | "veryhigh" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

/// A triage status from a source's word.
pub(crate) fn status_of(text: &str) -> Option<Status> {
    let t: String = text
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let s = match t.as_str() {
        "open" | "new" | "unchecked" | "notstarted" | "autogenerated" | "identified"
        | "needsreview" => Status::Open,
        "inprogress" | "needsinvestigation" | "investigating" | "expected" | "proposed"
        | "required" | "recommended" => Status::NeedsInvestigation,
        "mitigated" | "mitigation" | "implemented" | "fixed" | "closed" | "resolved" => {
            Status::Mitigated
        }
        "accepted" | "acceptedrisk" | "riskaccepted" | "accept" => Status::AcceptedRisk,
        "notapplicable" | "na" | "falsepositive" | "rejected" => Status::NotApplicable,
        "transferred" | "transfer" => Status::Transferred,
        _ => return None,
    };
    Some(s)
}

/// Unused-id helpers for callers that need typed ids.
pub(crate) fn eid(s: String) -> ElementId {
    ElementId::new(s)
}
pub(crate) fn fid(s: String) -> FlowId {
    FlowId::new(s)
}
pub(crate) fn bid(s: String) -> BoundaryId {
    BoundaryId::new(s)
}

/// Whether the segments `a-b` and `c-d` cross (touching counts).
pub(crate) fn segments_cross(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    fn orient(p: (f64, f64), q: (f64, f64), r: (f64, f64)) -> f64 {
        (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
    }
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
}

/// Whether two polylines cross anywhere.
pub(crate) fn polylines_cross(p: &[(f64, f64)], q: &[(f64, f64)]) -> bool {
    p.windows(2)
        .any(|s| q.windows(2).any(|t| segments_cross(s[0], s[1], t[0], t[1])))
}

/// Line boundaries (Threat Dragon curves, TMT lines) enclose nothing, yet the flows they
/// cut cross them. Palisade stores membership, so a line becomes the zones it
/// separates: elements joined by flows no line cuts form one side, and each side that
/// holds elements outside every box (boxes already separate their members) becomes a
/// boundary named after the line, so every cut flow crosses a boundary and crossing
/// rules see it. `flows` lists, per flow, the names of the lines that cut it; zones
/// nest under `parent` (a diagram's boundary, or the top level).
pub(crate) fn regions_from_lines(
    b: &mut Builder,
    flows: &[(FlowId, Vec<String>)],
    parent: Option<&BoundaryId>,
    label: &str,
    line_ids: &std::collections::BTreeMap<String, String>,
) -> Result<(), ImportError> {
    use std::collections::BTreeMap;
    if flows.iter().all(|(_, l)| l.is_empty()) {
        return Ok(());
    }
    let mut ids: Vec<ElementId> = Vec::new();
    for (f, _) in flows {
        if let Some(fl) = b.model.flows.get(f) {
            ids.push(fl.source.clone());
            ids.push(fl.target.clone());
        }
    }
    ids.sort();
    ids.dedup();
    let index: BTreeMap<&ElementId, usize> = ids.iter().enumerate().map(|(i, e)| (e, i)).collect();
    let mut up: Vec<usize> = (0..ids.len()).collect();
    fn find(up: &mut [usize], mut i: usize) -> usize {
        while up[i] != i {
            up[i] = up[up[i]];
            i = up[i];
        }
        i
    }
    let ends = |b: &Builder, f: &FlowId| -> Option<(usize, usize)> {
        let fl = b.model.flows.get(f)?;
        Some((*index.get(&fl.source)?, *index.get(&fl.target)?))
    };
    for (f, lines) in flows {
        if lines.is_empty()
            && let Some((s, t)) = ends(b, f)
        {
            let (rs, rt) = (find(&mut up, s), find(&mut up, t));
            if rs != rt {
                up[rs.max(rt)] = rs.min(rt);
            }
        }
    }
    // The lines that cut a flow touching each side.
    let mut side_lines: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (f, lines) in flows {
        if lines.is_empty() {
            continue;
        }
        if let Some((s, t)) = ends(b, f) {
            for r in [find(&mut up, s), find(&mut up, t)] {
                side_lines
                    .entry(r)
                    .or_default()
                    .extend(lines.iter().cloned());
            }
        }
    }
    let mut members: BTreeMap<usize, Vec<ElementId>> = BTreeMap::new();
    for (i, e) in ids.iter().enumerate() {
        let r = find(&mut up, i);
        let unboxed = b
            .model
            .elements
            .get(e)
            .is_some_and(|el| el.boundary.as_ref() == parent);
        if side_lines.contains_key(&r) && unboxed {
            members.entry(r).or_default().push(e.clone());
        }
    }
    // How many sides each set of line names would name, to tell sides apart.
    let mut name_uses: BTreeMap<String, usize> = BTreeMap::new();
    let line_name = |set: &BTreeSet<String>| -> String {
        let named: Vec<&str> = set
            .iter()
            .map(String::as_str)
            .filter(|n| !n.is_empty())
            .collect();
        named.join(", ")
    };
    for r in members.keys() {
        if let Some(set) = side_lines.get(r) {
            *name_uses.entry(line_name(set)).or_default() += 1;
        }
    }
    let mut n = 0usize;
    for (r, list) in &members {
        n += 1;
        let mut names: Vec<String> = list
            .iter()
            .filter_map(|e| b.model.elements.get(e).map(|x| x.name.clone()))
            .collect();
        names.sort();
        let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
        let more = if names.len() > 3 { ", …" } else { "" };
        let zone_of = format!("Zone of {}{more}", shown.join(", "));
        let lines = side_lines.get(r).map(line_name).unwrap_or_default();
        let name = if lines.is_empty() {
            zone_of
        } else if name_uses.get(&lines).copied().unwrap_or(0) > 1 {
            format!("{lines}: {zone_of}")
        } else {
            lines.clone()
        };
        // A side named by one line alone takes the line's own id, as other converters do.
        let own = side_lines
            .get(r)
            .filter(|set| set.len() == 1 && name_uses.get(&lines).copied().unwrap_or(0) == 1)
            .and_then(|set| set.iter().next())
            .and_then(|l| line_ids.get(l))
            .cloned()
            .unwrap_or_default();
        let id = bid(b.fresh_id(Ns::Boundary, &own, &format!("zone-{n}"), "zone"));
        let (mut x0, mut y0, mut x1, mut y1) = (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        );
        for m in list {
            if let Some(el) = b.model.elements.get_mut(m) {
                el.boundary = Some(id.clone());
                x0 = x0.min(el.pos.0 - 80.0);
                y0 = y0.min(el.pos.1 - 45.0);
                x1 = x1.max(el.pos.0 + 80.0);
                y1 = y1.max(el.pos.1 + 45.0);
            }
        }
        if !x0.is_finite() {
            (x0, y0, x1, y1) = (0.0, 0.0, 160.0, 90.0);
        }
        b.add_boundary(Boundary {
            props: Default::default(),
            id,
            name,
            kind: crate::model::BoundaryKind::Other,
            trust: 5,
            parent: parent.cloned(),
            rect: (x0 - 10.0, y0 - 10.0, x1 - x0 + 20.0, y1 - y0 + 20.0),
        })?;
    }
    // A cut flow whose ends still share every boundary crosses nothing: say so.
    for (f, lines) in flows {
        if lines.is_empty() {
            continue;
        }
        if let Some(fl) = b.model.flows.get(f) {
            let chain = |e: &ElementId| {
                let home = b.model.elements.get(e).and_then(|x| x.boundary.clone());
                b.model.boundary_chain(home.as_ref())
            };
            if chain(&fl.source) == chain(&fl.target) {
                let msg = format!(
                    "flow `{f}` is cut by a {label} but its ends are also joined by flows the line does not cut; Palisade cannot tell the sides apart, so the flow crosses no boundary"
                );
                b.diag(Level::Warning, "line-boundary-unseparated", msg);
            }
        }
    }
    Ok(())
}

/// `Level` re-exported for the importers.
pub(crate) use crate::diag::Level as L;

/// An element with no properties at a position.
pub(crate) fn element(id: ElementId, name: &str, kind: &str, pos: (f64, f64)) -> Element {
    Element {
        provenance: Default::default(),
        id,
        name: one_line(name),
        kind: kind.to_owned(),
        boundary: None,
        pos,
        props: Default::default(),
        entry_point: false,
        crown_jewel: false,
    }
}
