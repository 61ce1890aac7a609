//! The PDF report: cover, summary with a chart, the diagram as vector graphics, threats
//! grouped by element and flow, manual threats, orphaned triage, diagnostics and the rule
//! appendix, with page numbers on every page. Output is byte-for-byte reproducible.

pub mod diagram;
mod facts;
mod risk;
pub mod writer;

use super::data::{FactKind, ReportData, SubjectGroup};
use super::fonts::{self, Face, Fonts};
use super::scene;
use super::style;
use super::table::{self, Column, Table};
use super::{Input, Paper};
use super::{ThreatView, or_dash};
use crate::model::Severity;
use printpdf::{
    FontId, Op, PageAnnotId, PageAnnotation, PdfDocument, PdfFont, PdfPage, PdfSaveOptions, Pt,
    Rect, TextItem,
};
use std::collections::{BTreeMap, BTreeSet};
use writer::{BODY, Doc, MARGIN, Page};

/// Page size in points (portrait).
pub fn page_size(p: Paper) -> (f64, f64) {
    match p {
        Paper::A4 => (595.276, 841.89),
        Paper::Letter => (612.0, 792.0),
    }
}

/// What the PDF writer produced, for tests and diagnostics.
pub struct Rendered {
    /// The PDF file.
    pub bytes: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
    /// The text drawn on each page, one string per drawn line, in drawing order.
    pub page_text: Vec<Vec<String>>,
    /// Whether the CJK fallback font had to be embedded.
    pub used_fallback: bool,
}

/// Writes the PDF. `epoch` is the creation time written into the document info.
pub fn render(data: &ReportData, input: &Input<'_>, epoch: i64) -> Result<Rendered, String> {
    let fonts = Fonts::load()?;
    let mut doc = Doc::new(&fonts, page_size(input.paper));
    cover(&mut doc, data);
    summary(&mut doc, data);
    attack_paths(&mut doc, data, input, &fonts);
    // The diagram.
    let sc = scene::build(input.model, input.catalog, input.analysis, &fonts);
    if input.model.elements.is_empty() && input.model.boundaries.is_empty() {
        doc.heading(1, "2 Diagram");
        doc.para(
            "The model has no elements or boundaries yet.",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
    } else {
        diagram::add_pages(&mut doc, &sc, input.model, input.catalog, "2 Diagram");
    }
    facts::add(&mut doc, data);
    threats(&mut doc, data);
    other(&mut doc, data);
    controls(&mut doc, data);
    appendix(&mut doc, data, input);
    let (mut pages, bookmarks) = doc.finish();
    let n = pages.len();
    for (i, p) in pages.iter_mut().enumerate() {
        footer(p, &fonts, data, i + 1, n);
    }
    let page_text = pages.iter().map(|p| page_strings(&p.ops)).collect();
    let (bytes, used_fallback) = assemble(&fonts, pages, &bookmarks, data, epoch)?;
    Ok(Rendered {
        bytes,
        pages: n,
        page_text,
        used_fallback,
    })
}

fn page_strings(ops: &[Op]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for op in ops {
        match op {
            Op::ShowText { items } => {
                for it in items {
                    if let TextItem::Text(s) = it {
                        cur.push_str(s);
                    }
                }
            }
            Op::EndTextSection => out.push(std::mem::take(&mut cur)),
            _ => {}
        }
    }
    out
}

fn footer(p: &mut Page, fonts: &Fonts, data: &ReportData, no: usize, total: usize) {
    let y = p.h - MARGIN + 6.0;
    let size = 7.5;
    p.line(MARGIN, y - 11.0, p.w - MARGIN, y - 11.0, style::RULE, 0.5);
    let right = format!("Page {no} of {total}");
    let rw = fonts.width(&right, size, false);
    let left = format!(
        "{} · threat model report · {}",
        data.cover.title, data.cover.date
    );
    let left = fonts.ellipsize(&left, size, false, p.w - 2.0 * MARGIN - rw - 20.0);
    p.text(fonts, MARGIN, y, size, false, style::MUTED, &left);
    p.text(
        fonts,
        p.w - MARGIN - rw,
        y,
        size,
        false,
        style::MUTED,
        &right,
    );
}

fn cover(doc: &mut Doc<'_>, data: &ReportData) {
    let c = &data.cover;
    doc.new_page();
    let fonts = doc.fonts;
    let w = doc.width();
    doc.page
        .fill_rect(0.0, 0.0, doc.page.w, 10.0, 0.0, style::ACCENT);
    let lw = 118.0;
    let templates: Vec<String> = c
        .templates
        .iter()
        .map(|t| format!("{} {} ({}, {} rules)", t.id, t.version, t.name, t.rules))
        .collect();
    let s = &data.summary;
    let stats = format!(
        "{} elements · {} flows · {} trust boundaries · {} threats, {} untriaged · {} orphaned triage records · {} diagnostics",
        c.elements, c.flows, c.boundaries, s.total, s.untriaged, s.orphaned, s.diagnostics
    );
    let note = "Threats are derived from the model by the rules of the templates listed above; the same model file \
                (identified by its SHA-256) and templates always give the same threats and the same report.";
    // The cover starts well down the page, but high enough that everything above the
    // note still fits on it (a long description would otherwise push the statistics
    // onto a second, near-empty page); only a cover too long for any page flows on.
    let body = cover_height(doc, data, &templates, &stats, lw);
    doc.y = (doc.bottom() - NOTE_ROOM - body).clamp(MARGIN + 12.0, 150.0);
    doc.page.text(
        fonts,
        MARGIN,
        doc.y,
        11.0,
        true,
        style::MUTED,
        "STRIDE THREAT MODEL REPORT",
    );
    doc.y += 14.0;
    for l in fonts.wrap(&c.title, 26.0, true, w) {
        doc.page
            .text(fonts, MARGIN, doc.y + 26.0, 26.0, true, style::ACCENT, &l);
        doc.y += 32.0;
    }
    doc.y += 6.0;
    doc.page
        .line(MARGIN, doc.y, MARGIN + w, doc.y, style::ACCENT, 1.0);
    doc.y += 14.0;
    if !c.description.trim().is_empty() {
        doc.para(&c.description, 10.5, false, style::TEXT, 0.0);
        doc.y += 10.0;
    }
    for f in c.facts() {
        match f.kind {
            FactKind::Identity => {
                let value: String = f.value.iter().map(table::Span::line_text).collect();
                doc.field(f.label, &value, lw, 0.0);
            }
            // With names and rule counts, one a line.
            FactKind::Templates => doc.bullets(f.label, &templates, lw, 0.0),
            // In the statistics line below.
            FactKind::Size => {}
        }
    }
    doc.y += 12.0;
    doc.para(&stats, 9.5, true, style::TEXT, 0.0);
    doc.y = doc.y.max(doc.bottom() - NOTE_ROOM);
    doc.para(note, 8.0, false, style::MUTED, 0.0);
}

/// Room kept at the foot of the cover for the reproducibility note.
const NOTE_ROOM: f64 = 40.0;

/// The height of the cover from the kicker above the title to the end of the statistics
/// line, laid out as [`cover`] lays it out.
fn cover_height(
    doc: &Doc<'_>,
    data: &ReportData,
    templates: &[String],
    stats: &str,
    lw: f64,
) -> f64 {
    let c = &data.cover;
    let w = doc.width();
    let mut h = 14.0 + doc.fonts.wrap(&c.title, 26.0, true, w).len() as f64 * 32.0 + 20.0;
    if !c.description.trim().is_empty() {
        h += doc.para_height(&c.description, 10.5, false, 0.0) + 10.0;
    }
    for f in c.facts() {
        h += match f.kind {
            FactKind::Identity => {
                let value: String = f.value.iter().map(table::Span::line_text).collect();
                doc.field_height(&value, lw, 0.0)
            }
            FactKind::Templates => doc.bullets_height(templates, lw, 0.0),
            FactKind::Size => 0.0,
        };
    }
    h + 12.0 + doc.para_height(stats, 9.5, true, 0.0)
}

fn summary(doc: &mut Doc<'_>, data: &ReportData) {
    let s = &data.summary;
    doc.heading(1, "1 Summary");
    let text = format!(
        "{} threats: {} untriaged (open or needing investigation) and {} triaged. {} orphaned triage records, {} model diagnostics.",
        s.total,
        s.untriaged,
        s.total - s.untriaged,
        s.orphaned,
        s.diagnostics
    );
    doc.para(&text, 10.0, false, style::TEXT, 0.0);
    doc.gap(8.0);
    doc.heading(2, "Threats by STRIDE category and severity");
    chart(doc, data);
    let mut by_category = table::by_category(data);
    by_category.rows.push(table::category_totals(data));
    doc.render_table(&by_category);
    doc.heading(2, "Threats by status");
    doc.render_table(&table::by_status(data).with_column(
        Column::text("Share", 4.0).muted(),
        table::status_shares(data),
    ));
    doc.heading(2, "Top open risks");
    doc.render_table(&table::top_open(data));
}

/// Horizontal bars per STRIDE category, stacked by severity (most severe first).
fn chart(doc: &mut Doc<'_>, data: &ReportData) {
    let fonts = doc.fonts;
    let rows = &data.summary.by_category;
    let bar_h = 14.0;
    let gap = 6.0;
    let label_w = 150.0;
    let h = rows.len() as f64 * (bar_h + gap) + 30.0;
    doc.ensure(h);
    let max = rows.iter().map(|r| r.total).max().unwrap_or(0).max(1) as f64;
    let total_w = 40.0;
    let bar_w = doc.width() - label_w - total_w;
    let top = doc.y;
    for (i, r) in rows.iter().enumerate() {
        let y = top + i as f64 * (bar_h + gap);
        doc.page.text(
            fonts,
            MARGIN,
            y + bar_h - 3.5,
            8.5,
            false,
            style::TEXT,
            &format!("{} · {}", r.letter, r.label),
        );
        doc.page
            .fill_rect(MARGIN + label_w, y, bar_w, bar_h, 0.0, style::STRIPE);
        let mut x = MARGIN + label_w;
        for s in Severity::ALL.iter().rev() {
            let n = r.count(*s);
            if n == 0 {
                continue;
            }
            let w = bar_w * n as f64 / max;
            doc.page
                .fill_rect(x, y, w, bar_h, 0.0, style::severity_color(*s));
            let label = format!("{}{}", style::severity_letter(*s), n);
            let lw = fonts.width(&label, 7.0, true);
            if lw + 4.0 <= w {
                doc.page.text(
                    fonts,
                    x + (w - lw) / 2.0,
                    y + bar_h - 4.0,
                    7.0,
                    true,
                    style::severity_text(*s),
                    &label,
                );
            }
            x += w;
        }
        let t = r.total.to_string();
        doc.page.text(
            fonts,
            MARGIN + label_w + bar_w + 6.0,
            y + bar_h - 3.5,
            8.5,
            true,
            style::TEXT,
            &t,
        );
    }
    let ly = top + rows.len() as f64 * (bar_h + gap) + 8.0;
    let mut x = MARGIN + label_w;
    for s in Severity::ALL.iter().rev() {
        doc.page
            .fill_rect(x, ly - 7.0, 9.0, 9.0, 1.5, style::severity_color(*s));
        let label = format!("{} {}", style::severity_letter(*s), s.label());
        doc.page
            .text(fonts, x + 12.0, ly + 1.0, 7.5, false, style::MUTED, &label);
        x += 12.0 + fonts.width(&label, 7.5, false) + 14.0;
    }
    doc.y = ly + 14.0;
}

fn threats(doc: &mut Doc<'_>, data: &ReportData) {
    doc.heading(1, "3 Threats by element and flow");
    if data.groups.is_empty() {
        doc.para(
            "No threats: no rule fires on this model and no manual threat was recorded.",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
        return;
    }
    doc.para(
        "Each element and flow with its threats, in STRIDE order. Threats at a boundary crossing are listed under their flow. \
         Untriaged means Open or Needs investigation.",
        BODY,
        false,
        style::MUTED,
        0.0,
    );
    for g in &data.groups {
        group(doc, g);
    }
}

fn group(doc: &mut Doc<'_>, g: &SubjectGroup) {
    // Keep the heading with the start of its first threat.
    doc.ensure(150.0);
    doc.heading(2, &g.heading);
    let open = g.threats.iter().filter(|t| t.status.is_untriaged()).count();
    let ctx = format!(
        "{} · {} threats, {} untriaged",
        g.context,
        g.threats.len(),
        open
    );
    doc.para(ctx.trim_start_matches(" · "), 8.0, false, style::MUTED, 0.0);
    if !g.relations.is_empty() {
        let rel = format!("Relations: {}", g.relations.join("; "));
        doc.para(&rel, 8.0, false, style::MUTED, 0.0);
    }
    doc.gap(4.0);
    doc.push_repeat_title(&g.heading);
    for t in &g.threats {
        threat(doc, t);
    }
    doc.pop_repeat();
}

fn threat(doc: &mut Doc<'_>, t: &ThreatView) {
    let fonts = doc.fonts;
    let lw = 72.0;
    let mut fields: Vec<(&str, String)> = vec![("Description", or_dash(&t.description).to_owned())];
    if !t.why.is_empty() {
        fields.push(("Why", t.why.join("; ")));
    }
    fields.push(("Mitigations", or_dash(&t.mitigations.join("; ")).to_owned()));
    fields.push(("References", or_dash(&t.references.join(", ")).to_owned()));
    if let Some(c) = t.cvss_line() {
        fields.push(("CVSS 3.1", c));
    }
    // Accepting a risk, or calling a threat not applicable, is a claim that needs a
    // reason: say plainly when none was given instead of printing a dash.
    let claim = matches!(
        t.status,
        crate::model::Status::AcceptedRisk | crate::model::Status::NotApplicable
    );
    let justification = if claim && t.justification.trim().is_empty() {
        format!("none given (required for {})", t.status.label())
    } else {
        or_dash(&t.justification).to_owned()
    };
    let mut triage = format!(
        "Justification: {justification} · Owner: {} · Ticket: {}",
        or_dash(&t.owner),
        or_dash(&t.ticket)
    );
    // A date alone is when the status was set, not a review: say "not reviewed".
    if !t.reviewed_by.trim().is_empty() {
        triage.push_str(&format!(" · Reviewed by {} {}", t.reviewed_by, t.date));
    } else if !t.date.is_empty() {
        triage.push_str(&format!(" · Not reviewed (decided {})", t.date));
    }
    if t.severity != t.rule_severity {
        triage.push_str(&format!(
            " · Severity set to {} by the reviewer (rule: {})",
            t.severity.label(),
            t.rule_severity.label()
        ));
    }
    fields.push(("Triage", triage.trim_end().to_owned()));
    // Keep a threat on one page when it fits on one.
    let height = 15.0
        + 24.0
        + doc.para_height(&t.title, 10.0, true, 0.0)
        + fields
            .iter()
            .map(|(_, v)| doc.field_height(v, lw, 0.0))
            .sum::<f64>();
    doc.ensure(height.min(doc.bottom() - MARGIN - 40.0));
    // Header: severity chip and id on the left; category, likelihood and status right.
    let size = 8.0;
    let label = t.severity.label().to_uppercase();
    let cw = fonts.width(&label, size, true) + 8.0;
    let y = doc.y;
    let color = style::severity_color(t.severity);
    doc.page.fill_rect(MARGIN, y, cw, 12.0, 3.0, color);
    let fg = style::severity_text(t.severity);
    doc.page
        .text(fonts, MARGIN + 4.0, y + 9.0, size, true, fg, &label);
    let status = t.status.label();
    let sw = fonts.width(status, 8.5, true);
    let meta = format!(
        "{} ({}) · likelihood {} · ",
        t.category.label(),
        t.category.property(),
        t.likelihood.key()
    );
    let mw = fonts.width(&meta, 8.0, false);
    let right = MARGIN + doc.width();
    let sc = if t.status.is_untriaged() {
        style::severity_color(Severity::High)
    } else {
        style::MUTED
    };
    doc.page
        .text(fonts, right - sw, y + 9.0, 8.5, true, sc, status);
    doc.page.text(
        fonts,
        right - sw - mw,
        y + 9.0,
        8.0,
        false,
        style::MUTED,
        &meta,
    );
    let id_max = doc.width() - cw - sw - mw - 16.0;
    let id_fits = fonts.width(&t.id, 8.5, true) <= id_max;
    if id_fits {
        doc.page.text(
            fonts,
            MARGIN + cw + 6.0,
            y + 9.0,
            8.5,
            true,
            style::TEXT,
            &t.id,
        );
    }
    doc.y += 15.0;
    if !id_fits {
        doc.para(&t.id, 8.5, true, style::TEXT, 0.0);
    }
    doc.para(&t.title, 10.0, true, style::TEXT, 0.0);
    doc.gap(1.0);
    for (label, value) in &fields {
        doc.field(label, value, lw, 0.0);
    }
    doc.gap(2.5);
    let y = doc.y;
    doc.page
        .line(MARGIN, y, MARGIN + doc.width(), y, style::RULE, 0.4);
    doc.gap(6.0);
}

fn other(doc: &mut Doc<'_>, data: &ReportData) {
    doc.heading(1, "4 Manual threats, orphaned triage and diagnostics");
    doc.heading(2, "Manual threats");
    if !data.manual_threats.is_empty() {
        doc.para("Threats written by the reviewer rather than by a rule; their details are in section 3.", BODY, false, style::MUTED, 0.0);
    }
    doc.render_table(&table::manual_threats(data));
    doc.heading(2, "Orphaned triage");
    if !data.orphaned_triage.is_empty() {
        doc.para(
            "Triage records whose threat no longer exists (the element was deleted or the property fixed). They are kept in the \
             model until the reviewer re-attaches or deletes them.",
            BODY,
            false,
            style::MUTED,
            0.0,
        );
    }
    doc.render_table(&table::orphaned_triage_compact(data));
    doc.heading(2, "Model diagnostics");
    doc.render_table(&table::diagnostics(data));
}

/// Ids of the templates a model uses: those declaring (or extended by) the kind of one of
/// its elements, and those with a rule that fired.
pub fn used_templates(data: &ReportData, input: &Input<'_>) -> BTreeSet<String> {
    let cat = input.catalog;
    let mut used: BTreeSet<String> = data
        .rules
        .iter()
        .filter(|r| r.fired > 0)
        .map(|r| r.template.clone())
        .collect();
    for e in input.model.elements.values() {
        let Some(st) = cat.stencil(&e.kind) else {
            continue;
        };
        for kind in &st.is_a {
            if let Some(t) = cat
                .stencil(kind)
                .and_then(|s| cat.templates.get(s.template))
            {
                used.insert(t.id.clone());
            }
        }
    }
    used
}

/// Section 5, only when the model has controls.
fn controls(doc: &mut Doc<'_>, data: &ReportData) {
    use super::controls as c;
    let Some(cs) = &data.controls else {
        return;
    };
    doc.heading(1, "5 Controls and risk");
    doc.para(&c::intro(cs), BODY, false, style::MUTED, 0.0);
    doc.heading(2, "Control status");
    doc.render_table(&c::status_table(cs));
    doc.heading(2, "Controls by owner");
    doc.render_table(&c::owner_table(cs));
    doc.heading(2, &format!("Overdue as of {}", cs.as_of));
    doc.render_table(&c::overdue_table(cs));
    if let Some(m) = &cs.matrices {
        // The heading stays with its grids.
        doc.ensure(risk::height(m) + 30.0);
        doc.heading(2, "Risk before and after controls");
        risk::matrices(doc, m);
        doc.para(&c::matrix_summary(m), BODY, false, style::MUTED, 0.0);
    }
}

fn appendix(doc: &mut Doc<'_>, data: &ReportData, input: &Input<'_>) {
    let used = used_templates(data, input);
    let others: Vec<_> = data
        .cover
        .templates
        .iter()
        .filter(|t| !used.contains(&t.id))
        .collect();
    doc.heading(1, "Appendix A: Rules evaluated");
    let mut intro = "The rules of the templates this model uses, grouped by template and \
         version. Fired: threats the rule produced in this model. Deprecated rules are listed \
         but not evaluated."
        .to_owned();
    if !others.is_empty() {
        let n: usize = data
            .rules
            .iter()
            .filter(|r| others.iter().any(|t| t.id == r.template))
            .count();
        let names: Vec<String> = others
            .iter()
            .map(|t| format!("{} {}", t.name, t.version))
            .collect();
        intro.push_str(&format!(
            " The {n} rules of {} other loaded template{} ({}) were evaluated too and raised \
             nothing for this model; `palisade templates show ID` lists them.",
            others.len(),
            if others.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    doc.para(&intro, BODY, false, style::MUTED, 0.0);
    if data.rules.is_empty() {
        doc.para("No rules are loaded.", BODY, false, style::MUTED, 0.0);
    }
    for t in data.cover.templates.iter().filter(|t| used.contains(&t.id)) {
        let rules = table::template_rules(data, &t.id);
        if rules.rows.is_empty() {
            continue;
        }
        let title = format!(
            "Template {} {}: {} ({} rules)",
            t.id,
            t.version,
            t.name,
            rules.rows.len()
        );
        doc.heading(2, &title);
        doc.render_table(&rules);
    }
}

/// Glyph ids used on the pages, per face.
fn used_glyphs(fonts: &Fonts, pages: &[Page]) -> BTreeMap<Face, BTreeSet<u16>> {
    let mut out: BTreeMap<Face, BTreeSet<u16>> = BTreeMap::new();
    for p in pages {
        let mut face: Option<Face> = None;
        for op in &p.ops {
            match op {
                Op::SetFont {
                    font: printpdf::PdfFontHandle::External(id),
                    ..
                } => {
                    face = Face::ALL.into_iter().find(|f| f.resource() == id.0);
                }
                Op::ShowText { items } => {
                    let Some(f) = face else { continue };
                    let Some(pf) = fonts.font(f) else { continue };
                    let set = out.entry(f).or_default();
                    for it in items {
                        if let TextItem::Text(s) = it {
                            for c in s.chars() {
                                set.insert(pf.lookup_glyph_index(c as u32).unwrap_or(0));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn pdf_date(epoch: i64) -> printpdf::DateTime {
    let ((y, m, d), (hh, mm, ss)) = super::data::civil(epoch);
    printpdf::DateTime::new_in_offset(
        printpdf::Date {
            year: y.clamp(0, 9999) as i32,
            month: m as u8,
            day: d as u8,
        },
        printpdf::Time {
            hour: hh as u8,
            minute: mm as u8,
            second: ss as u8,
            millisecond: 0,
        },
        printpdf::Offset {
            hours: 0,
            minutes: 0,
            seconds: 0,
            milliseconds: 0,
        },
    )
}

fn assemble(
    fonts: &Fonts,
    pages: Vec<Page>,
    bookmarks: &[(String, usize)],
    data: &ReportData,
    epoch: i64,
) -> Result<(Vec<u8>, bool), String> {
    let mut pdf = PdfDocument::new(&format!("{} — threat model report", data.cover.title));
    let date = pdf_date(epoch);
    let info = &mut pdf.metadata.info;
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;
    info.author = data.cover.owner.clone();
    info.creator = format!("Palisade {}", data.cover.palisade_version);
    info.producer = format!("Palisade {} (printpdf)", data.cover.palisade_version);
    info.subject = "STRIDE threat model report".to_owned();
    info.identifier = data.cover.model_sha256.clone();
    let used = used_glyphs(fonts, &pages);
    for (face, gids) in &used {
        let Some(parsed) = fonts.font(*face) else {
            continue;
        };
        let mut embedded = parsed.clone();
        if let Some(small) = fonts::subset(fonts::face_bytes(*face), gids) {
            embedded.original_bytes = small;
        }
        pdf.resources
            .fonts
            .map
            .insert(FontId(face.resource().to_owned()), PdfFont::new(embedded));
    }
    pdf.pages = pages
        .into_iter()
        .map(|p| {
            let mut page = PdfPage::new(printpdf::Mm(10.0), printpdf::Mm(10.0), p.ops);
            let r = Rect::from_wh(Pt(p.w as f32), Pt(p.h as f32));
            page.media_box = r.clone();
            page.trim_box = r.clone();
            page.crop_box = r;
            page
        })
        .collect();
    for (i, (title, page)) in bookmarks.iter().enumerate() {
        pdf.bookmarks.map.insert(
            PageAnnotId(format!("B{i:05}")),
            PageAnnotation {
                name: title.clone(),
                page: *page,
            },
        );
    }
    let mut warnings = Vec::new();
    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut lo = printpdf::serialize::to_lopdf_doc(&pdf, &opts, &mut warnings);
    // printpdf writes a random document id; derive it from the content instead.
    if let Ok(arr) = lo.trailer.get_mut(b"ID").and_then(|o| o.as_array_mut()) {
        for o in arr.iter_mut() {
            if let Ok(s) = o.as_str_mut() {
                *s = data
                    .cover
                    .model_sha256
                    .as_bytes()
                    .get(..32)
                    .unwrap_or(b"palisade")
                    .to_vec();
            }
        }
    }
    compress_streams(&mut lo);
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| format!("cannot write the PDF: {e}"))?;
    Ok((bytes, used.contains_key(&Face::Fallback)))
}

/// Deflates every stream that has no filter yet, as `lopdf::Document::compress` does but
/// at level 3 instead of its best (9): a 2,175-threat report is 1.10× the size
/// (3.05 MB against 2.78 MB) and written in 0.90 s of CPU instead of 1.16 s, where
/// level 9 spent most of its time in the compressor (BENCHMARKS.md). A stream that would
/// not get smaller stays as it is.
fn compress_streams(doc: &mut lopdf::Document) {
    use std::io::Write;
    for object in doc.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(3));
        let Ok(packed) = enc.write_all(&stream.content).and_then(|()| enc.finish()) else {
            continue;
        };
        if packed.len() + 19 < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(packed);
        }
    }
}

/// The attack paths after the summary: each path drawn small (only its elements, one
/// row, one arrow per step) above its steps table, and what cuts it.
fn attack_paths(doc: &mut Doc<'_>, data: &ReportData, input: &Input<'_>, fonts: &Fonts) {
    use super::attack::{name, path_model, steps_label};
    let p = &data.attack_paths;
    let m = input.model;
    doc.heading(2, "Attack paths");
    doc.bookmark("Attack paths");
    let total = p.paths.len() + p.left_out;
    doc.para(
        &format!(
            "{} from {} entry points to {} crown jewels, shortest first{}. Each step is an edge the templates declare (a flow an attacker rides, or a pivot step) with the facts that make it exist.",
            match total {
                0 => "No attack path".to_owned(),
                1 => "1 attack path".to_owned(),
                n => format!("{n} attack paths"),
            },
            p.entries.len(),
            p.targets.len(),
            if p.left_out > 0 {
                format!(" ({} more not shown)", p.left_out)
            } else {
                String::new()
            }
        ),
        BODY,
        false,
        style::TEXT,
        0.0,
    );
    for path in &p.paths {
        let sub = path_model(m, path);
        let sc = scene::build(&sub, input.catalog, input.analysis, fonts);
        let w = doc.width();
        let (bw, bh) = (
            (sc.bounds.2 - sc.bounds.0).max(1.0),
            (sc.bounds.3 - sc.bounds.1).max(1.0),
        );
        let h = (w * bh / bw).clamp(30.0, 70.0);
        // A short path is drawn at most at 0.6 points per diagram unit, centred.
        let (x, w) = {
            let dw = (bw * 0.6).min(w);
            (MARGIN + (doc.width() - dw) / 2.0, dw)
        };
        doc.ensure(28.0 + h + 60.0);
        doc.heading(
            3,
            &format!(
                "{} → {} ({}{})",
                name(m, &path.entry),
                name(m, &path.target),
                steps_label(path.steps.len()),
                if path.untriaged() {
                    ", every step untriaged"
                } else {
                    ""
                }
            ),
        );
        doc.para(
            &format!("From: {}. To: {}.", path.entry_why, path.target_why),
            BODY - 1.0,
            false,
            style::MUTED,
            0.0,
        );
        let y = doc.y;
        diagram::draw_scene(&mut doc.page, fonts, &sc, sc.bounds, (x, y, w, h), false);
        doc.y = y + h + 6.0;
        doc.render_table(&Table {
            columns: vec![
                Column::text("#", 0.3),
                Column::text("Step", 2.4),
                Column::text("Why", 3.2),
                Column::text("Open threats", 1.8),
                Column::text("Cut by", 2.0),
            ],
            rows: path
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    vec![
                        table::text((i + 1).to_string()),
                        table::text(format!(
                            "{} {} {} ({}){}",
                            name(m, &s.from),
                            s.title,
                            name(m, &s.to),
                            s.step,
                            if i == path.weakest {
                                ", the weakest step"
                            } else {
                                ""
                            }
                        )),
                        table::muted(s.why.join("; ")),
                        table::text(if s.open_threats.is_empty() {
                            "none".to_owned()
                        } else {
                            s.open_threats
                                .iter()
                                .map(|t| t.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }),
                        table::text(s.control.clone()),
                    ]
                })
                .collect(),
            empty: None,
        });
        if !path.cut.is_empty() {
            let items: Vec<String> = path
                .cut
                .iter()
                .map(|s| {
                    format!(
                        "{} {} {}: {}",
                        name(m, &s.from),
                        s.title,
                        name(m, &s.to),
                        s.control
                    )
                })
                .collect();
            doc.bullets(
                &format!("Cut ({})", steps_label(path.cut.len())),
                &items,
                70.0,
                0.0,
            );
        }
    }
}
