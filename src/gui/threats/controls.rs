//! Controls in the threats workspace: the controls of the selected threat (status,
//! detach), "Create control from this mitigation" with the list of threats it will
//! attach to, the Controls panel (every control's fields), and the risk heat maps
//! before and after controls that the threats summary shows. Every change is an `Edit::PutControl` /
//! `Edit::RemoveControl`, so undo restores it exactly.

use crate::analysis::risk::{self, Matrix};
use crate::analysis::{Analysis, Threat, controls};
use crate::gui::theme;
use crate::model::{Control, ControlId, ControlStatus, Edit, Model, ThreatId};
use eframe::egui::{self, RichText};

/// A "create control" waiting for the reviewer to confirm its threats.
#[derive(Clone, Debug, Default)]
struct Pending {
    /// The threat whose detail asked.
    from: ThreatId,
    /// The mitigation text (the control's title).
    mitigation: String,
    /// Candidate threats and whether each is ticked.
    threats: Vec<(ThreatId, bool)>,
}

fn pending_id() -> egui::Id {
    egui::Id::unique("palisade.controls.pending")
}

/// A control id no control uses yet: `CTL-001`, `CTL-002`, ...
pub fn fresh_control_id(model: &Model) -> ControlId {
    let mut n = 1usize;
    loop {
        let id = format!("CTL-{n:03}");
        if !model.controls.contains_key(id.as_str()) {
            return ControlId::new(id);
        }
        n += 1;
    }
}

/// The open threats of the same rule as `t` (which has this mitigation too, since a
/// rule's mitigations are the same for all its threats), `t` first.
pub fn same_mitigation(model: &Model, a: &Analysis, t: &Threat) -> Vec<ThreatId> {
    let rule = t.id.as_str().split('@').next().unwrap_or("");
    let mut out = vec![t.id.clone()];
    if matches!(t.origin, crate::analysis::Origin::Manual) {
        return out;
    }
    let naming = crate::analysis::controls::Naming::new(model);
    out.extend(
        a.threats
            .iter()
            .filter(|x| x.id != t.id)
            .filter(|x| x.id.as_str().split('@').next() == Some(rule))
            .filter(|x| x.status_by(model, &naming).is_untriaged())
            .map(|x| x.id.clone()),
    );
    out
}

/// The control of `mitigation` attached to `threats` (status Proposed).
pub fn control_from_mitigation(model: &Model, mitigation: &str, threats: &[ThreatId]) -> Control {
    let mut c = Control {
        id: fresh_control_id(model),
        title: mitigation.trim().to_owned(),
        threats: threats.to_vec(),
        ..Control::default()
    };
    c.normalise();
    c
}

/// A status picker; `name` is its accessible name (screen readers, tests).
fn status_combo(
    ui: &mut egui::Ui,
    salt: &str,
    name: &str,
    current: ControlStatus,
) -> Option<ControlStatus> {
    let mut s = current;
    egui::ComboBox::from_id_salt(salt)
        .selected_text(s.label())
        .show_ui(ui, |ui| {
            for o in ControlStatus::ALL {
                ui.selectable_value(&mut s, o, o.label());
            }
        })
        .response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, name));
    (s != current).then_some(s)
}

/// A button whose accessible name says which control it acts on, where its visible
/// text alone ("Keep as history") would be ambiguous.
fn named_button(ui: &mut egui::Ui, text: &str, name: &str) -> egui::Response {
    let r = ui.small_button(text);
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name));
    r
}

/// The mitigations of a threat, each with "Create control…", and the confirmation
/// listing the threats the new control attaches to.
pub fn mitigations_ui(
    ui: &mut egui::Ui,
    model: &Model,
    a: &Analysis,
    t: &Threat,
    mitigations: &[String],
    edits: &mut Vec<Edit>,
) {
    let mut pending: Option<Pending> = ui.data(|d| d.get_temp(pending_id()));
    if pending.as_ref().is_some_and(|p| p.from != t.id) {
        pending = None;
    }
    ui.label(RichText::new("Mitigations").strong());
    for m in mitigations {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("• {m}"));
            if named_button(ui, "Create control…", &format!("Create control: {m}"))
                .on_hover_text(
                    "A control from this mitigation, attached to the open threats of this rule",
                )
                .clicked()
            {
                pending = Some(Pending {
                    from: t.id.clone(),
                    mitigation: m.clone(),
                    threats: same_mitigation(model, a, t)
                        .into_iter()
                        .map(|id| (id, true))
                        .collect(),
                });
            }
        });
    }
    let mut close = false;
    if let Some(p) = pending.as_mut() {
        // A dialog, so the list is always in view whatever the detail pane shows.
        let modal =
            egui::Modal::new(egui::Id::unique("palisade.controls.confirm")).show(ui.ctx(), |ui| {
                ui.set_max_width(560.0);
                ui.label(RichText::new(format!("New control: {}", p.mitigation)).strong());
                ui.label("Attach to these threats");
                egui::ScrollArea::vertical()
                    .max_height(320.0)
                    .show(ui, |ui| {
                        for (id, on) in &mut p.threats {
                            ui.checkbox(on, id.as_str());
                        }
                    });
                ui.horizontal(|ui| {
                    let chosen: Vec<ThreatId> = p
                        .threats
                        .iter()
                        .filter(|(_, on)| *on)
                        .map(|(id, _)| id.clone())
                        .collect();
                    if ui
                        .add_enabled(!chosen.is_empty(), egui::Button::new("Create control"))
                        .clicked()
                    {
                        edits.push(Edit::PutControl(control_from_mitigation(
                            model,
                            &p.mitigation,
                            &chosen,
                        )));
                        close = true;
                    }
                    if ui.button("Cancel").clicked() {
                        close = true;
                    }
                });
            });
        if modal.should_close() {
            close = true;
        }
    }
    if close {
        pending = None;
    }
    ui.data_mut(|d| match pending {
        Some(p) => {
            d.insert_temp(pending_id(), p);
        }
        None => d.remove::<Pending>(pending_id()),
    });
}

/// The controls naming the selected threat: status and Detach.
pub fn threat_controls_ui(ui: &mut egui::Ui, model: &Model, t: &Threat, edits: &mut Vec<Edit>) {
    let cs = controls::naming(model, t.id.as_str());
    if cs.is_empty() {
        return;
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Controls").strong());
    for c in cs {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(c.id.as_str()).monospace());
            ui.label(&c.title);
            let name = format!("Status of {}", c.id);
            if let Some(s) = status_combo(ui, &format!("control.status.{}", c.id), &name, c.status)
            {
                let mut n = c.clone();
                n.status = s;
                edits.push(Edit::PutControl(n));
            }
            if c.threats.contains(&t.id) {
                if ui
                    .small_button(format!("Detach {}", c.id))
                    .on_hover_text("This control no longer addresses this threat")
                    .clicked()
                {
                    let mut n = c.clone();
                    n.threats.retain(|x| *x != t.id);
                    edits.push(Edit::PutControl(n));
                }
            } else {
                ui.label(RichText::new("(by rule)").weak());
            }
        });
    }
}

/// The Controls panel: every control's fields and its threats (the heat maps are in the
/// summary above the threats table).
pub fn controls_panel_ui(ui: &mut egui::Ui, model: &Model, a: &Analysis, edits: &mut Vec<Edit>) {
    let header = format!("Controls ({})", model.controls.len());
    egui::CollapsingHeader::new(header)
        .id_salt("palisade.controls.panel")
        .show(ui, |ui| {
            if model.controls.is_empty() {
                ui.label(
                    RichText::new("No controls yet: create one from a threat's mitigation")
                        .italics(),
                );
            }

            for c in model.controls.values() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    control_fields_ui(ui, c, a, edits);
                });
            }
        });
}

fn control_fields_ui(ui: &mut egui::Ui, c: &Control, a: &Analysis, edits: &mut Vec<Edit>) {
    let mut n = c.clone();
    egui::Grid::new(("control.fields", c.id.as_str()))
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Id");
            ui.label(RichText::new(c.id.as_str()).monospace());
            ui.end_row();
            for (label, field) in [
                ("Title", &mut n.title),
                ("Owner", &mut n.owner),
                ("Ticket", &mut n.ticket),
                ("Due", &mut n.due),
            ] {
                ui.label(label);
                // Named with the control's id: every control in the panel has a Title.
                let name = format!("{} {}", c.id, label.to_lowercase());
                let r = ui.add(
                    egui::TextEdit::singleline(field)
                        .id_salt(("control.field", c.id.as_str(), label))
                        .desired_width(220.0),
                );
                let value = field.clone();
                r.widget_info(|| {
                    let mut w = egui::WidgetInfo::labeled(egui::Role::TextInput, true, &name);
                    w.current_text_value = Some(value.clone());
                    w
                });
                ui.end_row();
            }
            ui.label("Status");
            let name = format!("{} status", c.id);
            if let Some(s) = status_combo(ui, &format!("panel.status.{}", c.id), &name, c.status) {
                n.status = s;
            }
            ui.end_row();
        });
    let live = a.threats.iter().filter(|t| c.names(t.id.as_str())).count();
    let orphaned = controls::orphaned_links(c, &a.threats);
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("Addresses {live} threats"));
        if !orphaned.is_empty() {
            ui.label(
                RichText::new(format!("{} orphaned", orphaned.len()))
                    .color(ui.visuals().warn_fg_color),
            );
            let keep = format!("Keep orphaned links of {} as history", c.id);
            if named_button(ui, "Keep as history", &keep).clicked() {
                n.kept_as_history
                    .extend(orphaned.iter().map(|t| ThreatId::new(*t)));
            }
            let detach = format!("Detach orphaned links of {}", c.id);
            if named_button(ui, "Detach orphaned", &detach).clicked() {
                n.threats.retain(|t| !orphaned.contains(&t.as_str()));
            }
        }
        if ui.small_button(format!("Remove {}", c.id)).clicked() {
            edits.push(Edit::RemoveControl(c.id.clone()));
        }
    });
    if n != *c {
        n.normalise();
        edits.push(Edit::PutControl(n));
    }
}

/// The undo merge key of a control edit that changes one text field of an existing
/// control (`control:CTL-001:title`): typing a title is one undo step, ended when the
/// field loses focus, like the inspector's text fields. Any other change (status,
/// links, a new control) is a step of its own.
pub fn field_merge_key(model: &Model, new: &Control) -> Option<String> {
    let old = model.controls.get(new.id.as_str())?;
    let texts = |c: &Control| {
        [
            ("title", c.title.clone()),
            ("description", c.description.clone()),
            ("owner", c.owner.clone()),
            ("ticket", c.ticket.clone()),
            ("due", c.due.clone()),
        ]
    };
    let changed: Vec<&str> = texts(old)
        .iter()
        .zip(texts(new).iter())
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0)
        .collect();
    let [field] = changed.as_slice() else {
        return None;
    };
    // Everything but that field is as it was.
    let mut same = new.clone();
    same.title.clone_from(&old.title);
    same.description.clone_from(&old.description);
    same.owner.clone_from(&old.owner);
    same.ticket.clone_from(&old.ticket);
    same.due.clone_from(&old.due);
    (same == *old).then(|| format!("control:{}:{field}", new.id))
}

/// The two heat maps side by side, risk before controls and residual risk after them,
/// each with its counts per level: the summary above the threats table.
pub fn risk_summary_ui(ui: &mut egui::Ui, m: &risk::Matrices) {
    ui.horizontal_top(|ui| {
        heat_map_ui(ui, "Risk before controls", &m.initial);
        ui.add_space(24.0);
        heat_map_ui(ui, "Residual risk after controls", &m.residual);
    });
}

/// Size of a heat-map cell.
const CELL: egui::Vec2 = egui::vec2(58.0, 15.0);

/// A likelihood × impact heat map: likelihood up the side and impact along the bottom,
/// each level named; cells in the theme's severity colours of their risk level, with
/// the count (an empty cell shows its level's letter, faint: colour is never the only
/// cue). Hovering a cell says what it counts; each cell is an accessible node.
pub fn heat_map_ui(ui: &mut egui::Ui, title: &str, m: &Matrix) {
    let dark = ui.visuals().dark_mode;
    let n = m.scale.levels();
    let lik = risk::likelihood_labels(m.scale);
    let imp = risk::impact_labels(m.scale);
    let small = egui::FontId::proportional(10.0);
    let strong = ui.visuals().strong_text_color();
    let text = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    ui.vertical(|ui| {
        let b = m.by_level();
        ui.label(RichText::new(title).strong())
            .on_hover_text(format!(
                "{} threats: {} critical, {} high, {} medium, {} low",
                m.total(),
                b[3],
                b[2],
                b[1],
                b[0]
            ));
        let painter = ui.painter().clone();
        let side = lik
            .iter()
            .map(|l| {
                painter
                    .layout_no_wrap((*l).to_owned(), small.clone(), text)
                    .size()
                    .x
            })
            .fold(0.0f32, f32::max)
            + 8.0;
        let cells = egui::vec2(CELL.x * f32::from(n), CELL.y * f32::from(n));
        let row = 12.0;
        let (rect, _) = ui.allocate_exact_size(
            egui::vec2(side + cells.x, row + cells.y + 2.0 * row),
            egui::Sense::hover(),
        );
        let origin = egui::pos2(rect.left() + side, rect.top() + row);
        painter.text(
            egui::pos2(origin.x - 6.0, rect.top()),
            egui::Align2::RIGHT_TOP,
            "Likelihood ↑",
            small.clone(),
            strong,
        );
        for l in 1..=n {
            let y = origin.y + CELL.y * f32::from(n - l);
            painter.text(
                egui::pos2(origin.x - 6.0, y + CELL.y / 2.0),
                egui::Align2::RIGHT_CENTER,
                lik.get(usize::from(l - 1)).copied().unwrap_or(""),
                small.clone(),
                text,
            );
            for i in 1..=n {
                let c = risk::Cell {
                    likelihood: l,
                    impact: i,
                };
                let x = origin.x + CELL.x * f32::from(i - 1);
                let r = egui::Rect::from_min_size(egui::pos2(x, y), CELL).shrink(1.0);
                let level = c.level(m.scale);
                let sev = level.severity();
                let count = m.at(c);
                let fill = theme::severity_color(sev, dark);
                painter.rect_filled(
                    r,
                    2.0,
                    if count == 0 {
                        fill.gamma_multiply(0.22)
                    } else {
                        fill
                    },
                );
                let (label, colour) = if count == 0 {
                    (theme::severity_letter(sev).to_string(), weak)
                } else {
                    (count.to_string(), theme::severity_text_color(sev, dark))
                };
                painter.text(
                    r.center(),
                    egui::Align2::CENTER_CENTER,
                    label,
                    egui::FontId::proportional(11.0),
                    colour,
                );
                let what = format!(
                    "{title}: {count} {} likelihood {} × impact {} ({} risk)",
                    if count == 1 { "threat," } else { "threats," },
                    lik.get(usize::from(l - 1)).copied().unwrap_or(""),
                    imp.get(usize::from(i - 1)).copied().unwrap_or(""),
                    level.key()
                );
                let resp = ui.interact(
                    r,
                    egui::Id::unique(("palisade.heat-map", title, l, i)),
                    egui::Sense::hover(),
                );
                resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Cell, true, &what));
                resp.on_hover_text(what);
            }
        }
        let bottom = origin.y + cells.y + 1.0;
        for i in 1..=n {
            let x = origin.x + CELL.x * (f32::from(i) - 0.5);
            painter.text(
                egui::pos2(x, bottom),
                egui::Align2::CENTER_TOP,
                imp.get(usize::from(i - 1)).copied().unwrap_or(""),
                small.clone(),
                text,
            );
        }
        painter.text(
            egui::pos2(origin.x + cells.x / 2.0, bottom + row),
            egui::Align2::CENTER_TOP,
            "Impact →",
            small.clone(),
            strong,
        );
    });
}
