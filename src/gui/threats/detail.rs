//! The detail of the selected threat: description, why, mitigations, references and the
//! triage form; bulk triage for a multi-selection; adding and editing manual threats.

use crate::analysis::{Analysis, Origin};
use crate::model::{
    Edit, ManualThreat, Model, Severity, Status, Stride, SubjectRef, ThreatId, Triage,
};
use crate::report::threat_view;
use crate::rules::Catalog;
use eframe::egui::{self, RichText};

use super::super::selection::Selection;

/// Text buffers of the triage form, committed when a field loses focus.
#[derive(Clone, Debug, Default)]
struct Draft {
    id: ThreatId,
    snapshot: Triage,
    justification: String,
    owner: String,
    ticket: String,
    reviewed_by: String,
    date: String,
    /// The triage record's CVSS 3.1 vector (for a manual threat, it overrides the
    /// threat's own).
    cvss: String,
    manual: Option<ManualThreat>,
}

impl Draft {
    fn new(id: &ThreatId, current: &Triage, manual: Option<&ManualThreat>) -> Draft {
        Draft {
            id: id.clone(),
            snapshot: current.clone(),
            justification: current.justification.clone(),
            owner: current.owner.clone(),
            ticket: current.ticket.clone(),
            reviewed_by: current.reviewed_by.clone(),
            date: current.date.clone(),
            cvss: current.cvss.clone(),
            manual: manual.cloned(),
        }
    }

    /// The triage record with the buffers applied, if it differs from the snapshot (an
    /// invalid CVSS vector left out).
    fn pending(&self) -> Option<Triage> {
        let mut t = self.snapshot.clone();
        t.justification = self.justification.clone();
        t.owner = self.owner.clone();
        t.ticket = self.ticket.clone();
        t.reviewed_by = self.reviewed_by.clone();
        t.date = self.date.clone();
        // A vector being typed that is not one yet is not saved (the form shows why).
        let cvss = self.cvss.trim();
        if cvss.is_empty() || crate::analysis::risk::parse_cvss(cvss).is_ok() {
            t.cvss = cvss.to_owned();
        }
        (t != self.snapshot).then_some(t)
    }
}

/// A manual threat being written.
#[derive(Clone, Debug)]
struct ManualDraft {
    title: String,
    category: Stride,
    severity: Severity,
    description: String,
    cvss: String,
}

impl Default for ManualDraft {
    fn default() -> Self {
        ManualDraft {
            title: String::new(),
            category: Stride::Spoofing,
            severity: Severity::Medium,
            description: String::new(),
            cvss: String::new(),
        }
    }
}

/// Gives a text field an accessible name of its own.
fn named(r: egui::Response, name: &str, value: &str) {
    r.widget_info(|| {
        let mut w = egui::WidgetInfo::labeled(egui::Role::TextInput, true, name);
        w.current_text_value = Some(value.to_owned());
        w
    });
}

/// What a CVSS vector being typed gives: its base score and cell, or why it is refused.
/// Returns whether the text is acceptable (empty or valid).
fn cvss_check_ui(ui: &mut egui::Ui, text: &str, scale: crate::model::RiskScale) -> bool {
    use crate::analysis::risk;
    // Wrapped even in a grid (whose labels extend), so a long reason does not widen
    // the panel.
    let say = |ui: &mut egui::Ui, text: RichText| ui.add(egui::Label::new(text).wrap());
    if text.trim().is_empty() {
        say(
            ui,
            RichText::new("Optional: places the threat in the risk matrix").weak(),
        );
        return true;
    }
    match risk::parse_cvss(text) {
        Ok(c) => {
            let cell = c.cell(scale);
            let name = |labels: &[&str], n: u8| {
                labels
                    .get(usize::from(n.saturating_sub(1)))
                    .copied()
                    .unwrap_or("")
                    .to_owned()
            };
            say(
                ui,
                RichText::new(format!(
                    "Base {:.1}: likelihood {} × impact {}",
                    c.base,
                    name(risk::likelihood_labels(scale), cell.likelihood),
                    name(risk::impact_labels(scale), cell.impact)
                )),
            );
            true
        }
        Err(e) => {
            let warn = ui.visuals().warn_fg_color;
            say(ui, RichText::new(format!("⚠ {e}")).color(warn));
            false
        }
    }
}

/// State of the detail pane kept between frames.
#[derive(Clone, Debug, Default)]
pub struct DetailState {
    draft: Option<Draft>,
    bulk_status: Option<Status>,
    bulk_owner: String,
    bulk_justification: String,
    manual: ManualDraft,
    adding_manual: bool,
}

/// The record of a threat, or a fresh Open one.
pub fn current_triage(model: &Model, id: &ThreatId) -> Triage {
    model.triage.get(id).cloned().unwrap_or_else(|| Triage {
        threat: id.clone(),
        ..Triage::default()
    })
}

/// Today's date (UTC) as YYYY-MM-DD.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{:02}-{:02}", if m <= 2 { y + 1 } else { y }, m, d)
}

/// The link for a reference such as `CWE-319`, `CAPEC-151` or `T1611`, when there is one.
pub fn reference_url(r: &str) -> Option<String> {
    let r = r.trim();
    if r.starts_with("http://") || r.starts_with("https://") {
        return Some(r.to_owned());
    }
    let num = |p: &str| {
        r.strip_prefix(p)
            .map(|n| {
                n.chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty())
    };
    if let Some(n) = num("CWE-") {
        return Some(format!("https://cwe.mitre.org/data/definitions/{n}.html"));
    }
    if let Some(n) = num("CAPEC-") {
        return Some(format!("https://capec.mitre.org/data/definitions/{n}.html"));
    }
    if let Some(rest) = r.strip_prefix('T')
        && rest.len() >= 4
        && rest[..4].chars().all(|c| c.is_ascii_digit())
    {
        let id: String = r
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        return Some(format!(
            "https://attack.mitre.org/techniques/{}/",
            id.replace('.', "/")
        ));
    }
    if let Some(rest) = r.strip_prefix("AML.T") {
        let id: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        return Some(format!("https://atlas.mitre.org/techniques/AML.T{id}"));
    }
    None
}

/// Shows the detail pane.
pub fn detail_ui(
    ui: &mut egui::Ui,
    model: &Model,
    analysis: &Analysis,
    catalog: &Catalog,
    selection: &mut Selection,
    edits: &mut Vec<Edit>,
    st: &mut DetailState,
) {
    egui::ScrollArea::vertical()
        .id_salt("palisade.threat-detail.scroll")
        .show(ui, |ui| {
            if selection.threats.len() > 1 {
                bulk_ui(ui, model, selection, edits, st);
            } else if let Some(t) = selection
                .threats
                .iter()
                .next()
                .and_then(|id| analysis.threat(id.as_str()))
            {
                threat_ui(ui, model, analysis, catalog, t, edits, st);
            } else {
                flush(st, edits);
                ui.label(
                    RichText::new("Select a threat to see why it was raised and to triage it")
                        .italics(),
                );
            }
            ui.separator();
            manual_ui(ui, model, selection, edits, st);
            ui.separator();
            super::controls::controls_panel_ui(ui, model, analysis, edits);
        });
}

/// Commits pending text of the previous threat before the form switches to another.
fn flush(st: &mut DetailState, edits: &mut Vec<Edit>) {
    if let Some(d) = st.draft.take()
        && let Some(t) = d.pending()
    {
        edits.push(Edit::SetTriage(d.id.clone(), Some(t)));
    }
}

fn threat_ui(
    ui: &mut egui::Ui,
    model: &Model,
    analysis: &Analysis,
    catalog: &Catalog,
    t: &crate::analysis::Threat,
    edits: &mut Vec<Edit>,
    st: &mut DetailState,
) {
    let current = current_triage(model, &t.id);
    let manual = model.manual_threats.get(&t.id);
    let stale = match &st.draft {
        Some(d) if d.id != t.id => true,
        Some(d) => d.snapshot != current && !ui.ctx().egui_wants_keyboard_input(),
        None => true,
    };
    if stale {
        if st.draft.as_ref().is_some_and(|d| d.id != t.id) {
            flush(st, edits);
        }
        st.draft = Some(Draft::new(&t.id, &current, manual));
    }
    let Some(d) = st.draft.as_mut() else { return };
    let v = threat_view(model, catalog, t);

    ui.heading(&v.title);
    ui.label(RichText::new(&v.id).monospace().small());
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("Triage status");
        let mut status = current.status;
        egui::ComboBox::from_id_salt("triage.status")
            .selected_text(status.label())
            .show_ui(ui, |ui| {
                for s in Status::ALL {
                    ui.selectable_value(&mut status, s, s.label());
                }
            })
            .response
            .labelled_by(l.id);
        if status != current.status {
            let mut rec = d.pending().unwrap_or_else(|| current.clone());
            rec.status = status;
            if rec.date.is_empty() && !status.is_untriaged() {
                rec.date = today();
            }
            edits.push(Edit::SetTriage(t.id.clone(), Some(rec)));
        }

        let l = ui.label("Severity override");
        let mut sev = current.severity;
        let rule_label = format!("Rule default ({})", t.rule_severity.label());
        egui::ComboBox::from_id_salt("triage.severity")
            .selected_text(
                sev.map(|s| s.label().to_owned())
                    .unwrap_or(rule_label.clone()),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut sev, None, rule_label);
                for s in Severity::ALL {
                    ui.selectable_value(&mut sev, Some(s), s.label());
                }
            })
            .response
            .labelled_by(l.id);
        if sev != current.severity {
            let mut rec = d.pending().unwrap_or_else(|| current.clone());
            rec.severity = sev;
            edits.push(Edit::SetTriage(t.id.clone(), Some(rec)));
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.category.label()).strong());
        ui.label(format!("threatens {}", t.category.property()));
        ui.label("·");
        ui.label(format!("rule severity {}", t.rule_severity.label()));
        if let Origin::Rule(_) = t.origin {
            ui.label(format!("· likelihood {}", v.likelihood.key()));
            ui.label(format!("· template {}", v.template));
        } else {
            ui.label("· written by the reviewer");
        }
    });
    ui.label(format!(
        "Subject: {} ({})",
        v.subject.name, v.subject.kind_of_subject
    ));
    if let Some(c) = v.cvss_line() {
        ui.label(RichText::new(format!("CVSS 3.1: {c}")).monospace().small());
    }
    ui.add_space(4.0);
    ui.label(&v.description);
    // The reference document's item the rule was written from (kept apart from the
    // description, which names the real component).
    let seed = match t.origin {
        Origin::Rule(ri) => catalog
            .rules
            .get(ri)
            .map(|r| r.rule.seed_item.trim())
            .filter(|s| !s.is_empty()),
        Origin::Manual => None,
    };
    if !v.why.is_empty() || seed.is_some() {
        ui.add_space(4.0);
        ui.label(RichText::new("Why").strong());
        for w in &v.why {
            ui.label(format!("• {w}"));
        }
        if let Some(seed) = seed {
            ui.label(RichText::new(format!("Reference item: {seed}")).weak())
                .on_hover_text(
                    "The item of the reference threat catalogue this rule was written from",
                );
        }
    }
    if !v.mitigations.is_empty() {
        ui.add_space(4.0);
        super::controls::mitigations_ui(ui, model, analysis, t, &v.mitigations, edits);
    }
    super::controls::threat_controls_ui(ui, model, t, edits);
    if !v.references.is_empty() {
        ui.add_space(4.0);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("References").strong());
            for r in &v.references {
                match reference_url(r) {
                    Some(url) => {
                        ui.hyperlink_to(r, url);
                    }
                    None => {
                        ui.label(r);
                    }
                }
            }
        });
    }

    ui.separator();
    ui.label(RichText::new("Triage").strong());
    if needs_justification(current.status) && d.justification.trim().is_empty() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "⚠ {} needs a justification: say why, or the report shows it as unexplained",
                current.status.label()
            ),
        );
    }
    // A fixed field width: a long value (a CVSS vector) scrolls inside its field instead
    // of widening the grid, and with it the whole detail panel.
    let field_w = (ui.available_width() - 100.0).max(120.0);
    egui::Grid::new("palisade.triage.form")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            let mut commit = false;
            for (label, buf, multi) in [
                ("Justification", &mut d.justification, true),
                ("Owner", &mut d.owner, false),
                ("Ticket", &mut d.ticket, false),
                ("Reviewed by", &mut d.reviewed_by, false),
            ] {
                let l = ui.label(label);
                let te = if multi {
                    egui::TextEdit::multiline(buf)
                        .desired_rows(2)
                        .desired_width(field_w)
                } else {
                    egui::TextEdit::singleline(buf)
                        .clip_text(true)
                        .desired_width(field_w)
                };
                let r = ui.add(te).labelled_by(l.id);
                commit |= r.lost_focus();
                ui.end_row();
            }
            let l = ui.label("Date");
            ui.horizontal(|ui| {
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut d.date)
                            .hint_text("YYYY-MM-DD")
                            .desired_width(110.0),
                    )
                    .labelled_by(l.id);
                commit |= r.lost_focus();
                if ui.button("Today").clicked() {
                    d.date = today();
                    commit = true;
                }
            });
            ui.end_row();
            let is_manual = d.manual.is_some();
            let l = ui.label(if is_manual {
                "CVSS override"
            } else {
                "CVSS 3.1"
            });
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut d.cvss)
                        .hint_text("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                        .clip_text(true)
                        .desired_width(field_w),
                )
                .labelled_by(l.id)
                .on_hover_text(if is_manual {
                    "A CVSS 3.1 vector that replaces the manual threat's own in the risk matrix"
                } else {
                    "A CVSS 3.1 vector: places the threat in the risk matrix by its base score"
                });
            commit |= r.lost_focus();
            ui.end_row();
            ui.label("");
            // An invalid vector stays in the field with its reason and is not saved
            // (`pending` leaves it out).
            cvss_check_ui(ui, &d.cvss, model.metadata.risk_matrix);
            ui.end_row();
            if commit && let Some(rec) = d.pending() {
                d.snapshot = rec.clone();
                edits.push(Edit::SetTriage(t.id.clone(), Some(rec)));
            }
        });

    if let Some(m) = d.manual.as_mut() {
        ui.separator();
        ui.label(RichText::new("Manual threat").strong());
        let mut commit = false;
        egui::Grid::new("palisade.manual.edit")
            .num_columns(2)
            .show(ui, |ui| {
                ui.label("Title");
                commit |= ui
                    .add(egui::TextEdit::singleline(&mut m.title).desired_width(f32::INFINITY))
                    .lost_focus();
                ui.end_row();
                ui.label("Category");
                egui::ComboBox::from_id_salt("manual.edit.category")
                    .selected_text(m.category.label())
                    .show_ui(ui, |ui| {
                        for c in Stride::ALL {
                            commit |= ui.selectable_value(&mut m.category, c, c.label()).changed();
                        }
                    });
                ui.end_row();
                ui.label("Severity");
                egui::ComboBox::from_id_salt("manual.edit.severity")
                    .selected_text(m.severity.label())
                    .show_ui(ui, |ui| {
                        for s in Severity::ALL {
                            commit |= ui.selectable_value(&mut m.severity, s, s.label()).changed();
                        }
                    });
                ui.end_row();
                ui.label("Description");
                commit |= ui
                    .add(
                        egui::TextEdit::multiline(&mut m.description)
                            .desired_rows(3)
                            .desired_width(f32::INFINITY),
                    )
                    .lost_focus();
                ui.end_row();
                let l = ui.label("CVSS 3.1");
                commit |= ui
                    .add(
                        egui::TextEdit::singleline(&mut m.cvss)
                            .hint_text("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(l.id)
                    .lost_focus();
                ui.end_row();
                ui.label("");
                cvss_check_ui(ui, &m.cvss, model.metadata.risk_matrix);
                ui.end_row();
            });
        if commit && Some(&*m) != manual {
            edits.push(Edit::PutManualThreat(m.clone()));
        }
        if ui.button("Delete manual threat").clicked() {
            edits.push(Edit::RemoveManualThreat(t.id.clone()));
            if model.triage.contains_key(&t.id) {
                edits.push(Edit::SetTriage(t.id.clone(), None));
            }
            st.draft = None;
        }
    }
}

fn bulk_ui(
    ui: &mut egui::Ui,
    model: &Model,
    selection: &Selection,
    edits: &mut Vec<Edit>,
    st: &mut DetailState,
) {
    let n = selection.threats.len();
    ui.heading(format!("{n} threats selected"));
    ui.label(
        "Set the status, justification and owner of all of them at once; fields left empty are kept.",
    );
    egui::Grid::new("palisade.bulk")
        .num_columns(2)
        .show(ui, |ui| {
            let l = ui.label("Set status");
            egui::ComboBox::from_id_salt("bulk.status")
                .selected_text(st.bulk_status.map(|s| s.label()).unwrap_or("(unchanged)"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut st.bulk_status, None, "(unchanged)");
                    for s in Status::ALL {
                        ui.selectable_value(&mut st.bulk_status, Some(s), s.label());
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Set justification");
            ui.add(
                egui::TextEdit::multiline(&mut st.bulk_justification)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .hint_text("(unchanged)"),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Set owner");
            ui.add(egui::TextEdit::singleline(&mut st.bulk_owner).hint_text("(unchanged)"))
                .labelled_by(l.id);
            ui.end_row();
        });
    let justification = st.bulk_justification.trim().to_owned();
    // A risk accepted (or called not applicable) without a reason reads as unreviewed:
    // count the records that would end up that way and refuse until they have one.
    let unjustified = match st.bulk_status {
        Some(s) if needs_justification(s) && justification.is_empty() => selection
            .threats
            .iter()
            .filter(|id| current_triage(model, id).justification.trim().is_empty())
            .count(),
        _ => 0,
    };
    if unjustified > 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "{unjustified} of them have no justification: say why before setting {}",
                st.bulk_status.map(|s| s.label()).unwrap_or_default()
            ),
        );
    }
    let any =
        st.bulk_status.is_some() || !st.bulk_owner.trim().is_empty() || !justification.is_empty();
    if ui
        .add_enabled(
            any && unjustified == 0,
            egui::Button::new(format!("Apply to {n} threats")),
        )
        .clicked()
    {
        let mut batch = Vec::new();
        for id in &selection.threats {
            let mut rec = current_triage(model, id);
            if let Some(s) = st.bulk_status {
                rec.status = s;
                if rec.date.is_empty() && !s.is_untriaged() {
                    rec.date = today();
                }
            }
            if !justification.is_empty() {
                rec.justification = justification.clone();
            }
            if !st.bulk_owner.trim().is_empty() {
                rec.owner = st.bulk_owner.trim().to_owned();
            }
            batch.push(Edit::SetTriage(id.clone(), Some(rec)));
        }
        edits.push(Edit::Batch(batch));
        st.bulk_owner.clear();
        st.bulk_justification.clear();
        st.bulk_status = None;
    }
}

/// Whether a status is a claim that needs a reason: accepting a risk, or calling a
/// threat not applicable.
pub fn needs_justification(s: Status) -> bool {
    matches!(s, Status::AcceptedRisk | Status::NotApplicable)
}

fn manual_ui(
    ui: &mut egui::Ui,
    model: &Model,
    selection: &Selection,
    edits: &mut Vec<Edit>,
    st: &mut DetailState,
) {
    // A relation, or no single item, gives a threat to the whole system.
    let subject = selection
        .single()
        .and_then(|item| SubjectRef::try_from(&item).ok())
        .unwrap_or(SubjectRef::Model);
    let subject_name = match &subject {
        SubjectRef::Element(e) => model
            .elements
            .get(e)
            .map(|x| x.name.clone())
            .unwrap_or_default(),
        SubjectRef::Flow(f) => super::rows::flow_name(f, model).into_owned(),
        SubjectRef::Boundary(b) => model
            .boundaries
            .get(b)
            .map(|x| x.name.clone())
            .unwrap_or_default(),
        SubjectRef::Model => "the whole system".to_owned(),
    };
    if !st.adding_manual {
        if ui
            .button(format!("Add manual threat to {subject_name}…"))
            .clicked()
        {
            st.adding_manual = true;
        }
        return;
    }
    ui.label(RichText::new(format!("New manual threat on {subject_name}")).strong());
    egui::Grid::new("palisade.manual.new")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Title");
            // Named apart from the model's and the edit form's Title fields.
            named(
                ui.add(
                    egui::TextEdit::singleline(&mut st.manual.title).desired_width(f32::INFINITY),
                ),
                "New threat title",
                &st.manual.title,
            );
            ui.end_row();
            ui.label("Category");
            egui::ComboBox::from_id_salt("manual.new.category")
                .selected_text(st.manual.category.label())
                .show_ui(ui, |ui| {
                    for c in Stride::ALL {
                        ui.selectable_value(&mut st.manual.category, c, c.label());
                    }
                });
            ui.end_row();
            ui.label("Severity");
            egui::ComboBox::from_id_salt("manual.new.severity")
                .selected_text(st.manual.severity.label())
                .show_ui(ui, |ui| {
                    for s in Severity::ALL {
                        ui.selectable_value(&mut st.manual.severity, s, s.label());
                    }
                });
            ui.end_row();
            ui.label("Description");
            ui.add(
                egui::TextEdit::multiline(&mut st.manual.description)
                    .desired_rows(3)
                    .desired_width(f32::INFINITY),
            );
            ui.end_row();
            ui.label("CVSS 3.1");
            named(
                ui.add(
                    egui::TextEdit::singleline(&mut st.manual.cvss)
                        .hint_text("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                        .desired_width(f32::INFINITY),
                ),
                "New threat CVSS 3.1",
                &st.manual.cvss,
            );
            ui.end_row();
        });
    let cvss_ok = cvss_check_ui(ui, &st.manual.cvss, model.metadata.risk_matrix);
    ui.horizontal(|ui| {
        let ok = !st.manual.title.trim().is_empty() && cvss_ok;
        if ui
            .add_enabled(ok, egui::Button::new("Add threat"))
            .clicked()
        {
            let id = next_manual_id(model);
            edits.push(Edit::PutManualThreat(ManualThreat {
                id,
                title: st.manual.title.trim().to_owned(),
                category: st.manual.category,
                severity: st.manual.severity,
                subject: subject.clone(),
                description: st.manual.description.trim().to_owned(),
                mitigations: Vec::new(),
                cvss: st.manual.cvss.trim().to_owned(),
            }));
            st.manual = ManualDraft::default();
            st.adding_manual = false;
        }
        if ui.button("Cancel").clicked() {
            st.adding_manual = false;
        }
    });
}

/// The next free `MANUAL-NNN` id.
pub fn next_manual_id(model: &Model) -> ThreatId {
    let mut n = model.manual_threats.len() + 1;
    loop {
        let id = ThreatId(format!("MANUAL-{n:03}"));
        if !model.manual_threats.contains_key(&id) && !model.triage.contains_key(&id) {
            return id;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_link_to_their_catalogues() {
        assert_eq!(
            reference_url("CWE-319").as_deref(),
            Some("https://cwe.mitre.org/data/definitions/319.html")
        );
        assert_eq!(
            reference_url("CAPEC-151").as_deref(),
            Some("https://capec.mitre.org/data/definitions/151.html")
        );
        assert_eq!(
            reference_url("T1611").as_deref(),
            Some("https://attack.mitre.org/techniques/T1611/")
        );
        assert_eq!(
            reference_url("T1552.007").as_deref(),
            Some("https://attack.mitre.org/techniques/T1552/007/")
        );
        assert_eq!(reference_url("CIS Docker Benchmark v1.6.0 §5.4"), None);
    }

    #[test]
    fn today_is_an_iso_date() {
        let t = today();
        assert_eq!(t.len(), 10);
        assert!(t.starts_with("20"));
        assert_eq!(&t[4..5], "-");
    }

    #[test]
    fn manual_ids_skip_used_ones() {
        let mut m = Model::new("t");
        m.triage
            .insert(ThreatId::new("MANUAL-001"), Triage::default());
        assert_eq!(next_manual_id(&m).0, "MANUAL-002");
    }
}
