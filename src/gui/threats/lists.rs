//! Orphaned triage (records whose threat no longer exists) and the diagnostics list.
//! Orphans are never dropped silently: the reviewer keeps, re-attaches or deletes each.

use crate::analysis::{Analysis, Subject};
use crate::diag::Level;
use crate::model::{Edit, Model, ThreatId};
use crate::rules::Catalog;
use eframe::egui::{self, RichText};
use std::collections::BTreeMap;

use super::super::actions::Action;

/// State of the lists between frames: the re-attach target chosen per orphan.
#[derive(Clone, Debug, Default)]
pub struct ListState {
    reattach: BTreeMap<ThreatId, ThreatId>,
}

/// Live threats an orphan could be re-attached to: same rule first, then same subject.
pub fn reattach_candidates(orphan: &ThreatId, analysis: &Analysis, model: &Model) -> Vec<ThreatId> {
    let (rule, subject) = orphan
        .as_str()
        .split_once('@')
        .unwrap_or((orphan.as_str(), ""));
    let mut same_rule = Vec::new();
    let mut same_subject = Vec::new();
    for t in &analysis.threats {
        if model.triage.contains_key(&t.id) {
            continue;
        }
        let (r, s) = t.id.as_str().split_once('@').unwrap_or((t.id.as_str(), ""));
        if r == rule {
            same_rule.push(t.id.clone());
        } else if !subject.is_empty() && s == subject {
            same_subject.push(t.id.clone());
        }
    }
    same_rule.truncate(200);
    same_subject.truncate(200);
    same_rule.extend(same_subject);
    same_rule
}

/// What an orphan was attached to, and whether that item still exists. A deleted item
/// reads by the name the record kept ("monitoring agent"), else by its id.
pub fn orphan_subject(id: &ThreatId, model: &Model) -> (String, bool) {
    let suffix = id.as_str().split_once('@').map(|x| x.1).unwrap_or("");
    let kept = model
        .triage
        .get(id)
        .map(|t| t.subject_name.trim())
        .filter(|n| !n.is_empty());
    let gone = |what: &str, id: &str| match kept {
        Some(n) => format!("{what} {n} (deleted)"),
        None => format!("{what} {id} (deleted)"),
    };
    match Subject::parse_suffix(suffix) {
        Some(Subject::Element(e)) => match model.elements.get(&e) {
            Some(x) => (format!("element {} ({e})", x.name), true),
            None => (gone("element", e.as_str()), false),
        },
        Some(Subject::Flow(f)) | Some(Subject::Crossing(f, _)) => match model.flows.get(&f) {
            Some(_) => (
                format!("flow {} ({f})", super::rows::flow_name(&f, model)),
                true,
            ),
            None => (gone("flow", f.as_str()), false),
        },
        Some(Subject::Boundary(b)) => match model.boundaries.get(&b) {
            Some(x) => (format!("boundary {} ({b})", x.name), true),
            None => (gone("boundary", b.as_str()), false),
        },
        Some(Subject::Model) => ("the system".into(), true),
        None => ("a manual threat that was deleted".into(), false),
    }
}

/// The orphaned triage list.
pub fn orphans_ui(
    ui: &mut egui::Ui,
    model: &Model,
    analysis: &Analysis,
    _catalog: &Catalog,
    edits: &mut Vec<Edit>,
    st: &mut ListState,
) {
    if analysis.orphans.is_empty() {
        ui.label(
            RichText::new("No orphaned triage: every decision is attached to a live threat")
                .italics(),
        );
        return;
    }
    ui.label(
        "These decisions no longer match a threat (the item was deleted, or a property change closed the threat). \
         They stay in the file until you keep them as history, re-attach them, or delete them.",
    );
    egui::ScrollArea::vertical()
        .id_salt("palisade.orphans")
        .show(ui, |ui| {
            egui::Grid::new("palisade.orphans.grid")
                .striped(true)
                .num_columns(5)
                .spacing([10.0, 6.0])
                .show(ui, |ui| {
                    ui.label(RichText::new("Threat id").strong());
                    ui.label(RichText::new("Was about").strong());
                    ui.label(RichText::new("Decision").strong());
                    ui.label(RichText::new("Re-attach to").strong());
                    ui.label("");
                    ui.end_row();
                    for id in &analysis.orphans {
                        let Some(rec) = model.triage.get(id) else {
                            continue;
                        };
                        ui.label(RichText::new(id.as_str()).monospace().small());
                        let (what, _alive) = orphan_subject(id, model);
                        ui.label(what);
                        let mut decision = rec.status.label().to_owned();
                        if !rec.justification.is_empty() {
                            decision.push_str(&format!(
                                ": {}",
                                crate::model::truncate(&rec.justification, 60)
                            ));
                        }
                        if rec.kept_as_history {
                            decision.push_str(" (kept as history)");
                        }
                        ui.label(decision);
                        let cands = reattach_candidates(id, analysis, model);
                        let chosen = st.reattach.get(id).cloned();
                        ui.horizontal(|ui| {
                            let mut sel = chosen.clone();
                            egui::ComboBox::from_id_salt(("orphan.reattach", id.as_str()))
                                .width(260.0)
                                .selected_text(
                                    sel.as_ref().map(|s| s.as_str().to_owned()).unwrap_or_else(
                                        || {
                                            if cands.is_empty() {
                                                "(no untriaged candidate)".into()
                                            } else {
                                                "choose a threat".into()
                                            }
                                        },
                                    ),
                                )
                                .show_ui(ui, |ui| {
                                    for c in &cands {
                                        ui.selectable_value(&mut sel, Some(c.clone()), c.as_str());
                                    }
                                });
                            if sel != chosen
                                && let Some(s) = sel.clone()
                            {
                                st.reattach.insert(id.clone(), s);
                            }
                            if ui
                                .add_enabled(sel.is_some(), egui::Button::new("Re-attach"))
                                .clicked()
                                && let Some(target) = sel
                            {
                                let mut moved = rec.clone();
                                moved.threat = target.clone();
                                moved.kept_as_history = false;
                                edits.push(Edit::Batch(vec![
                                    Edit::SetTriage(target, Some(moved)),
                                    Edit::SetTriage(id.clone(), None),
                                ]));
                                st.reattach.remove(id);
                            }
                        });
                        ui.horizontal(|ui| {
                            if !rec.kept_as_history && ui.button("Keep as history").clicked() {
                                let mut kept = rec.clone();
                                kept.kept_as_history = true;
                                edits.push(Edit::SetTriage(id.clone(), Some(kept)));
                            }
                            if ui
                                .button("Delete")
                                .on_hover_text("Delete this decision from the model (undoable)")
                                .clicked()
                            {
                                edits.push(Edit::SetTriage(id.clone(), None));
                            }
                        });
                        ui.end_row();
                    }
                });
        });
}

/// The diagnostics list; clicking one selects its culprit.
pub fn diagnostics_ui(ui: &mut egui::Ui, analysis: &Analysis, actions: &mut Vec<Action>) {
    if analysis.diagnostics.is_empty() {
        ui.label(RichText::new("No diagnostics").italics());
        return;
    }
    let dark = ui.visuals().dark_mode;
    egui::ScrollArea::vertical()
        .id_salt("palisade.diagnostics")
        .show(ui, |ui| {
            for d in &analysis.diagnostics {
                let (icon, color) = match d.level {
                    Level::Error => (
                        "error",
                        crate::gui::theme::severity_color(crate::model::Severity::Critical, dark),
                    ),
                    Level::Warning => (
                        "warning",
                        crate::gui::theme::severity_color(crate::model::Severity::High, dark),
                    ),
                    Level::Info => ("info", ui.visuals().weak_text_color()),
                };
                ui.horizontal(|ui| {
                    ui.label(RichText::new(icon).color(color).strong());
                    let text = format!("{} [{}]", d.message, d.code);
                    match &d.subject {
                        Some(r) => {
                            if ui
                                .link(text)
                                .on_hover_text("Select it on the canvas")
                                .clicked()
                            {
                                actions.push(Action::Reveal(Subject::from(r)));
                            }
                        }
                        None => {
                            ui.label(text);
                        }
                    }
                });
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::model::{Edit, ElementId, Status, Triage};

    #[test]
    fn orphan_of_a_deleted_element_offers_nothing_dead_and_names_what_it_was() {
        let text = include_str!("../../../tests/rules/models/generic-open.ron");
        let mut m = crate::persist::load_bytes("g", text.as_bytes())
            .map(|l| l.model)
            .unwrap_or_default();
        let cat = Catalog::builtin();
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
        // Closing the threat by fixing the property orphans the record; the element lives.
        Edit::SetElementProp(
            ElementId::new("api"),
            "authenticates_callers".into(),
            Some(true.into()),
        )
        .apply(&mut m)
        .ok();
        let a = analyze(&m, &cat);
        assert_eq!(a.orphans, vec![id.clone()]);
        assert_eq!(
            orphan_subject(&id, &m),
            ("element API (api)".to_owned(), true)
        );
        let c = reattach_candidates(&id, &a, &m);
        assert!(c.iter().all(|x| a.threat(x.as_str()).is_some()));
        assert!(
            c.iter().any(|x| x.as_str().ends_with("@element:api")),
            "{c:?}"
        );
        Edit::RemoveElement(ElementId::new("api"))
            .apply(&mut m)
            .ok();
        assert!(!orphan_subject(&id, &m).1);
        // With the name kept in the record, a deleted element still reads by name.
        if let Some(t) = m.triage.get_mut(&id) {
            t.subject_name = "API".into();
        }
        assert_eq!(
            orphan_subject(&id, &m),
            ("element API (deleted)".to_owned(), false)
        );
    }
}
